"""Who may do what (DESIGN.md tenancy rule 7): the only place that maps roles to permissions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import Role

ALL_ROLES = frozenset(Role.values)
STAFF_WRITERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CSM})

PERMISSIONS: dict[str, frozenset[str]] = {
    "accounts.view": ALL_ROLES,
    "accounts.edit": STAFF_WRITERS,
    "accounts.import": STAFF_WRITERS,
    "accounts.export": frozenset({Role.ADMIN, Role.MANAGER, Role.CSM, Role.AGENT}),
    "contacts.view": ALL_ROLES,
    "contacts.edit": frozenset({Role.ADMIN, Role.MANAGER, Role.CSM, Role.AGENT}),
    "contacts.merge": frozenset({Role.ADMIN, Role.MANAGER, Role.CSM, Role.AGENT}),  # folds duplicates (issue 4)
    # CSM notes and logged touches on an account (issue 11); a note is changed by its author or an admin
    # (may_change_note), so a manager cannot rewrite what a CSM recorded.
    "notes.write": STAFF_WRITERS,
    # CSM tasks (issue 12's closed loop, later health alerts): everyone reads them; the roles that own the
    # customer relationship complete and reopen them.
    "tasks.view": ALL_ROLES,
    "tasks.work": STAFF_WRITERS,
    "tenant.manage": frozenset({Role.ADMIN}),
    "members.manage": frozenset({Role.ADMIN}),
    "apikeys.manage": frozenset({Role.ADMIN}),
    "usage.view": ALL_ROLES,
    "catalog.edit": frozenset({Role.ADMIN, Role.MANAGER}),
    "support.presence": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    # Knowledge base writers (articles, categories, frequent questions) and SLA set-up (issue 4).
    "kb.edit": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "sla.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    # Support desk (issue 4): agents answer; CSMs and viewers read the conversation.
    "desk.view": ALL_ROLES,
    "desk.reply": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "desk.assign": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "desk.macros": frozenset({Role.ADMIN, Role.MANAGER}),
    "desk.callbacks": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    # QA peer reviews (issue 5): managers run the program; agents review peers and see their own reviews.
    "qa.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "qa.review": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "qa.mine": ALL_ROLES,  # the page itself needs an agent record of the user
    # Support reports (issue 5; support.reports.visibility): agents see their own row, managers the teams
    # they manage (support.TeamManager) and those teams' agents, admins every row and the management page.
    "reports.view": frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT}),
    "reports.manage": frozenset({Role.ADMIN, Role.MANAGER}),
    "reports.all": frozenset({Role.ADMIN}),
    # Support teams: which agents belong to a team and which managers manage it (decides report visibility).
    "teams.manage": frozenset({Role.ADMIN}),
    # Surveys (issue 12): everyone reads the answers; the roles that own the customer relationship (and
    # managers) define surveys. Agents answer tickets, not survey definitions.
    "surveys.view": ALL_ROLES,
    "surveys.manage": STAFF_WRITERS,
    # Learning paths (issue 13): everyone sees the paths, their figures and learners' progress; the roles that
    # define surveys author paths and enroll or withdraw learners by hand (agents recommend paths from tickets).
    "learning.view": ALL_ROLES,
    "learning.manage": STAFF_WRITERS,
    # Health scores (issue 14): everyone sees scores, explanations, the portfolio and the backtest; the roles
    # that own the relationship override an account's score (with a reason and an expiry) and start a
    # recompute or a playbook; admins and managers define scorecards, alert rules and playbooks.
    "health.view": ALL_ROLES,
    "health.override": STAFF_WRITERS,
    "health.manage": frozenset({Role.ADMIN, Role.MANAGER}),
}


def role_allows(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role in PERMISSIONS[permission]


def has_permission(request: HttpRequest, permission: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_allows(membership.role, permission)


def check_permission(request: HttpRequest, permission: str) -> None:
    if not has_permission(request, permission):
        raise PermissionDenied(permission)


def may_change_note(request: HttpRequest, *, author_id: int | None) -> bool:
    """Edit or delete a note or logged touch: its author, or an admin, and only with ``notes.write``
    (an author since demoted to viewer may not)."""
    if not has_permission(request, "notes.write"):
        return False
    return request.membership.role == Role.ADMIN or (author_id is not None and author_id == request.user.pk)


def requires(permission: str) -> Callable:
    """View decorator: the tenant member's role must grant ``permission`` (403 otherwise)."""
    PERMISSIONS[permission]  # fail at import time on a typo  # noqa: B018

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            check_permission(request, permission)
            return view(request, *args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator
