"""Every write to customer accounts (DESIGN.md: keyword-only, typed, atomic).

Bulk upserts are the one path for the API, the CSV import and the demo seed: each item is validated
alone, every valid item is written, every invalid one is reported by its index, and the valid ones
are written in one transaction so that no item is ever half-written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower

from accounts.inputs import AccountItem
from accounts.models import Contact, CustomerAccount, Membership, Role, Tenant
from accounts.services.hooks import ACCOUNT_TARGETING_FIELDS, targeting_changed
from accounts.services.upserts import _watched_changes, _write
from cs_platform.bulk import BulkResult, validate_batch
from health.scores.dirty import mark_dirty

CSM_ROLES = (Role.ADMIN, Role.MANAGER, Role.CSM)


# The account fields a health score reads (scorecard choice, per-seat inputs, tenure, onboarding window, days to
# renewal): a change marks the account for a recompute soon (health.scores.dirty).
HEALTH_INPUT_FIELDS = ("lifecycle_stage", "tier", "seats", "contract_start", "renewal_date")

ACCOUNT_FIELDS = ("name", "domain", "plan", "tier", "arr", "seats", "contract_start", "renewal_date",
                  "lifecycle_stage", "owner_csm_id")


def _staff_ids_by_email(tenant: Tenant, emails: Iterable[str]) -> dict[str, int]:
    wanted = {e.lower() for e in emails if e}
    if not wanted:
        return {}
    rows = (
        Membership.objects.filter(tenant=tenant, role__in=CSM_ROLES)
        .annotate(email_lower=Lower("user__email"))
        .filter(email_lower__in=wanted)
        .values_list("email_lower", "user_id")
    )
    return dict(rows)


def upsert_accounts(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    result = BulkResult()
    clean = validate_batch(AccountItem, items, result)
    staff = _staff_ids_by_email(tenant, (d.get("csm_email", "") for d in clean.values()))
    prepared: dict[int, dict] = {}
    for index, data in clean.items():
        email = data.pop("csm_email", None)
        if email:
            if email.lower() not in staff:
                result.reject(index, [{"field": "csm_email",
                                       "message": "no admin, manager or CSM of this tenant has this email"}])
                continue
            data["owner_csm_id"] = staff[email.lower()]
        elif email == "":
            data["owner_csm_id"] = None
        prepared[index] = data
    retargeted = _watched_changes(CustomerAccount, tenant, prepared, ACCOUNT_TARGETING_FIELDS)
    rescored = _watched_changes(CustomerAccount, tenant, prepared, HEALTH_INPUT_FIELDS)
    with transaction.atomic():
        created = _write(CustomerAccount, tenant, prepared, ACCOUNT_FIELDS, result)
        # New accounts get a first score soon; edited ones whose score inputs changed are recomputed soon.
        mark_dirty(tenant=tenant, account_ids=[*created, *rescored])
    _accounts_retargeted(tenant, retargeted)
    return result


def _accounts_retargeted(tenant: Tenant, account_ids: Sequence[int]) -> None:
    """The contacts of accounts whose stage, tier or plan changed go to learning's re-evaluation after commit
    (:func:`accounts.services.hooks.targeting_changed`), in one call: one query for their ids."""
    if account_ids:
        targeting_changed(tenant, list(Contact.objects.filter(tenant=tenant, account_id__in=account_ids)
                                       .order_by("pk").values_list("pk", flat=True)))


@transaction.atomic
def backdate_updated_at(*, tenant: Tenant, stamps: Mapping[str, dt.datetime]) -> int:
    """Set accounts' "updated" time (by external id) to the last change their history records, for
    history written after the fact (the demo seed): otherwise every row says "updated just now", the
    moment it was written. Answers how many rows took a new value."""
    changed = 0
    for external_id, at in sorted(stamps.items()):
        changed += CustomerAccount.objects.filter(tenant=tenant, external_id=external_id).exclude(
            updated_at=at).update(updated_at=at)
    return changed


@transaction.atomic
def save_account(*, tenant: Tenant, account: CustomerAccount) -> CustomerAccount:
    """Create or update one account from a validated form (the form checked every field)."""
    account.tenant = tenant
    watched = (*ACCOUNT_TARGETING_FIELDS, *HEALTH_INPUT_FIELDS)
    before = None if account._state.adding else dict(zip(watched, (
        CustomerAccount.objects.filter(tenant=tenant, pk=account.pk).values_list(*watched).first()), strict=True))
    account.save()
    changed = {name for name in watched if before is None or before[name] != getattr(account, name)}
    if before is not None and changed.intersection(ACCOUNT_TARGETING_FIELDS):
        _accounts_retargeted(tenant, [account.pk])
    if changed.intersection(HEALTH_INPUT_FIELDS):
        mark_dirty(tenant=tenant, account_ids=[account.pk])
    return account
