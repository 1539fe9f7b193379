"""Accounts' hooks into learning, run after the write commits: :func:`after_commit_in_scope` (the wiring of the
"new contact" hook of ``accounts.services.contacts`` and of this module's), and the re-targeting hook:
contacts whose targeting facts changed go to learning's re-evaluation.

What learning's targeting reads is a contact's persona and knowledge level and its account's lifecycle stage,
tier and plan. Every writer of those (``accounts.services.contacts``, ``accounts.services.customers``) calls
:func:`targeting_changed` once per write with every affected contact (for an account: all its contacts). The
wiring is the "new contact" hook's (``accounts.services.contacts``): after commit, ``robust``, inside the
tenant's scope, looked up on ``learning.services`` when it runs (so a test can replace it). A module of its
own because ``customers`` cannot import ``contacts`` (learning's services import accounts' selectors, which
import ``customers``): learning is imported here when the hook runs, not when accounts loads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import transaction

from accounts.models import Tenant
from accounts.tenancy import tenant_scope

CONTACT_TARGETING_FIELDS = ("persona", "knowledge_level")
ACCOUNT_TARGETING_FIELDS = ("lifecycle_stage", "tier", "plan")


def after_commit_in_scope(tenant: Tenant, hook: Callable[[], object]) -> None:
    """Run ``hook`` once the current write commits (at once without a transaction), inside the tenant's scope,
    ``robust``: a failing hook is logged by Django and neither fails the committed write nor skips the writer's
    other on-commit work."""

    def run() -> None:
        with tenant_scope(tenant):
            hook()

    transaction.on_commit(run, robust=True)


def targeting_changed(tenant: Tenant, contact_ids: Sequence[int]) -> None:
    """Re-evaluate these contacts' learning paths once the current write commits (nothing when empty)."""
    if not contact_ids:
        return
    ids = sorted(contact_ids)
    from learning import services as learning_services  # see the module docstring

    after_commit_in_scope(tenant, lambda: learning_services.targeting_changed(tenant=tenant, contact_ids=ids))
