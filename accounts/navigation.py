"""The staff top bar, as data: groups of links, each with the permission its page needs.

One definition instead of a template of ``{% if %}``: ``templates/base.html`` renders whatever
:func:`nav_for_role` answers, and tests/accounts/test_navigation.py iterates :data:`NAV` to check that
every link answers 200 for the roles that see it, that the others do not see it, and that every staff page
without an object id is in the bar or reached from a page that is (:data:`REACHED_FROM`).

A link's permission may be stricter than its page's (never looser): "My QA reviews" is shown to the
support roles only, because it reads the user's agent record, which CSMs and viewers do not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.permissions import PERMISSIONS, role_allows


@dataclass(frozen=True)
class NavLink:
    label: str
    url_name: str  # a tenant page: reversed with the tenant's slug alone
    permission: str


@dataclass(frozen=True)
class NavGroup:
    label: str
    links: tuple[NavLink, ...]


HOME = NavLink("Home", "tenant-home", "accounts.view")

NAV: tuple[NavGroup, ...] = (
    NavGroup("Customers", (
        NavLink("Accounts", "account-list", "accounts.view"),
        NavLink("Contacts", "contact-list", "contacts.view"),
        NavLink("Tasks", "task-list", "tasks.view"),
        NavLink("Portfolio", "health-portfolio", "health.view"),
        NavLink("Alerts", "alert-list", "health.view"),
        NavLink("First 90 days", "first-90-days", "usage.view"),
        NavLink("Feature catalog", "catalog", "usage.view"),
        NavLink("Health backtest", "health-backtest", "health.view"),
        NavLink("Surveys", "survey-list", "surveys.view"),
        NavLink("Learning", "learning-path-list", "learning.view"),
    )),
    NavGroup("Support", (
        NavLink("Inbox", "inbox", "desk.view"),
        NavLink("Callbacks", "callback-queue", "desk.view"),
        NavLink("Macros", "macro-list", "desk.view"),
        NavLink("Presence", "agent-presence", "support.presence"),
        NavLink("Knowledge base", "kb-article-list", "kb.edit"),
        NavLink("KB categories", "kb-category-list", "kb.edit"),
        NavLink("QA queue", "qa-queue", "qa.review"),
        NavLink("My QA reviews", "qa-mine", "qa.review"),
        NavLink("QA rubrics", "qa-rubric-list", "qa.manage"),
        NavLink("QA calibration", "qa-calibration", "qa.manage"),
    )),
    NavGroup("Reports", (
        NavLink("Agents", "report-agents", "reports.view"),
        NavLink("Teams", "report-teams", "reports.manage"),
        NavLink("Management", "report-management", "reports.all"),
        NavLink("Frequent questions", "kb-frequent-questions", "kb.edit"),
    )),
    NavGroup("Settings", (
        NavLink("SLA policies", "sla-policy-list", "sla.manage"),
        NavLink("Support teams", "team-list", "teams.manage"),
        NavLink("Members", "member-list", "members.manage"),
        NavLink("API keys", "apikey-list", "apikeys.manage"),
        NavLink("Tenant settings", "tenant-settings", "tenant.manage"),
        NavLink("Learning emails", "learning-settings", "learning.manage"),
        NavLink("Scorecards", "scorecard-list", "health.view"),
        NavLink("Alert rules", "alert-rule-list", "health.manage"),
        NavLink("Playbooks", "playbook-list", "health.manage"),
    )),
)

# Staff pages without an object id that are not in the bar, and the page (in the bar) whose button or link
# leads to each: forms, exports and action endpoints belong to their list page.
REACHED_FROM: dict[str, str] = {
    "account-create": "account-list",
    "account-import": "account-list",
    "account-export": "account-list",
    "contact-create": "contact-list",
    "contact-import": "contact-list",
    "contact-export": "contact-list",
    "apikey-create": "apikey-list",
    "team-create": "team-list",
    "macro-create": "macro-list",
    "inbox-bulk-assign": "inbox",
    "kb-article-create": "kb-article-list",
    "qa-rubric-create": "qa-rubric-list",
    "qa-build-sample": "qa-queue",
    "sla-policy-create": "sla-policy-list",
    "sla-policy-create-default": "sla-policy-list",
    "sla-calendar-create": "sla-policy-list",
    "catalog-add": "catalog",
    "scorecard-create": "scorecard-list",
    "health-backtest-run": "health-backtest",
    "survey-create": "survey-list",
    "survey-loop": "survey-list",
    "survey-report": "survey-list",
    "survey-comments": "survey-list",
    "survey-non-responders": "survey-list",
    "survey-invitations": "survey-list",
    "survey-outbox": "survey-list",
    "survey-settings": "survey-list",
    "campaign-list": "survey-list",
    "campaign-create": "survey-list",
    "learning-path-create": "learning-path-list",
    "learning-overview": "learning-path-list",
    "playbook-add": "playbook-list",
}


@dataclass(frozen=True)
class NavEntry:
    label: str
    url: str
    url_name: str


@dataclass(frozen=True)
class NavMenu:
    label: str
    entries: tuple[NavEntry, ...]


def nav_for_role(*, role: str | None, tenant_slug: str) -> list[NavMenu]:
    """The groups this role sees, each with the links it may use; a group with none is left out."""
    menus = []
    for group in NAV:
        entries = tuple(NavEntry(link.label, reverse(link.url_name, args=[tenant_slug]), link.url_name)
                        for link in group.links if role_allows(role, link.permission))
        if entries:
            menus.append(NavMenu(group.label, entries))
    return menus


def _check_definition() -> None:
    """Fail at import on a typo'd permission (the template would otherwise just hide the link)."""
    for link in (HOME, *(link for group in NAV for link in group.links)):
        if link.permission not in PERMISSIONS:
            raise KeyError(f"navigation link {link.url_name!r}: unknown permission {link.permission!r}")


_check_definition()
