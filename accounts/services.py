"""Every write to accounts and contacts (DESIGN.md: keyword-only, typed, atomic).

Bulk upserts are the one path for the API, the CSV import and the demo seed: each item is validated
alone, every valid item is written, every invalid one is reported by its index, and the valid ones
are written in one transaction so that no item is ever half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.inputs import AccountItem, ContactItem, ItemValidator
from accounts.models import Contact, CustomerAccount, KnowledgeLevel, Membership, Role, Tenant

CSM_ROLES = (Role.ADMIN, Role.MANAGER, Role.CSM)
ACCOUNT_FIELDS = ("name", "domain", "plan", "tier", "arr", "seats", "contract_start", "renewal_date",
                  "lifecycle_stage", "owner_csm_id")
CONTACT_FIELDS = ("account_id", "email", "phone", "name", "persona", "knowledge_level")


@dataclass
class BulkResult:
    """API.md's bulk answer; ``created``/``updated`` say what ``accepted`` was made of."""

    accepted: int = 0
    duplicates: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, index: int, errors: list[dict]) -> None:
        self.rejected.append({"index": index, "errors": errors})

    def as_dict(self) -> dict[str, Any]:
        self.rejected.sort(key=lambda r: r["index"])
        return {"accepted": self.accepted, "duplicates": self.duplicates, "created": self.created,
                "updated": self.updated, "rejected": self.rejected}


def validate_batch(serializer_class, items: Sequence[Any], result: BulkResult, *,
                   key: str = "external_id") -> dict[int, dict]:
    """Validate each item of a bulk upsert (index -> clean data); invalid items are rejected into
    ``result``, and so is a second item whose ``key`` was already seen in the batch."""
    clean: dict[int, dict] = {}
    first_index: dict[str, int] = {}
    validate = ItemValidator(serializer_class)
    for index, raw in enumerate(items):
        data, errors = validate(raw)
        if errors:
            result.reject(index, errors)
            continue
        seen = first_index.setdefault(data[key], index)
        if seen != index:
            result.reject(index, [{"field": key, "message": f"duplicate {key} in this batch (first at index {seen})"}])
            continue
        clean[index] = data
    return clean


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


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _write(model, tenant: Tenant, prepared: dict[int, dict], fields: tuple[str, ...], result: BulkResult) -> None:
    """Insert new rows and update changed ones in one ``INSERT ... ON CONFLICT DO UPDATE`` per chunk.

    Unchanged items are not written at all (they are the duplicates of a retried batch). Changed rows
    carry their stored values plus the item's, so writing every field keeps what the item omitted.
    Django's ``bulk_update`` was not used: its ``CASE WHEN`` per row made 1,000 updates take ~2 s.
    """
    existing = {
        obj.external_id: obj
        for obj in model.objects.filter(tenant=tenant, external_id__in=[v["external_id"] for v in prepared.values()])
    }
    to_write, created = [], 0
    for values in prepared.values():
        external_id = values["external_id"]
        attrs = {k: v for k, v in values.items() if k in fields}
        obj = existing.get(external_id)
        if obj is None:
            to_write.append(model(tenant=tenant, external_id=external_id, **attrs))
            created += 1
        elif _apply(obj, attrs):
            to_write.append(obj)
        else:
            result.duplicates += 1
    with transaction.atomic():
        model.objects.bulk_create(
            to_write, batch_size=1000, update_conflicts=True, unique_fields=["tenant", "external_id"],
            update_fields=[*fields, "updated_at"],
        )
    result.created += created
    result.updated += len(to_write) - created
    result.accepted += len(to_write)


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
    _write(CustomerAccount, tenant, prepared, ACCOUNT_FIELDS, result)
    return result


def upsert_contacts(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    result = BulkResult()
    clean = validate_batch(ContactItem, items, result)
    account_ids = dict(
        CustomerAccount.objects.filter(
            tenant=tenant, external_id__in={d["account"] for d in clean.values()}
        ).values_list("external_id", "id")
    )
    emails = {d["email"] for d in clean.values() if d.get("email")}
    email_owner = dict(
        Contact.objects.filter(tenant=tenant)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "external_id")
    )
    prepared: dict[int, dict] = {}
    for index, data in clean.items():
        errors = []
        account_id = account_ids.get(data.pop("account"))
        if account_id is None:
            errors.append({"field": "account", "message": "no account with this external_id"})
        email = data.get("email")
        if email:
            owner = email_owner.get(email)
            if owner is not None and owner != data["external_id"]:
                errors.append({"field": "email", "message": f"already used by contact {owner}"})
            else:
                email_owner[email] = data["external_id"]  # later items in the batch may not take it
        if errors:
            result.reject(index, errors)
            continue
        data["account_id"] = account_id
        prepared[index] = data
    _write(Contact, tenant, prepared, CONTACT_FIELDS, result)
    return result


def save_account(*, tenant: Tenant, account: CustomerAccount) -> CustomerAccount:
    """Create or update one account from a validated form (the form checked every field)."""
    account.tenant = tenant
    account.save()
    return account


def save_contact(*, tenant: Tenant, contact: Contact) -> Contact:
    contact.tenant = tenant
    if contact.email:
        contact.email = contact.email.strip().lower()
    contact.save()
    return contact


def create_staff_member(*, tenant: Tenant, email: str, role: str, password: str | None = None,
                        name: str = "") -> Membership:
    """A staff user (found by email, or created) joins the tenant with ``role``."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            first, _, last = name.partition(" ")
            user = User.objects.create_user(username=email.lower(), email=email.lower(), password=password,
                                            first_name=first, last_name=last)
        membership, created = Membership.objects.get_or_create(tenant=tenant, user=user,
                                                               defaults={"role": role})
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def create_tenant(*, slug: str, name: str, admin_email: str, timezone_name: str = "UTC",
                  admin_password: str | None = None, fiscal_year_start_month: int = 1) -> Tenant:
    """A tenant and its first admin. The admin has no usable password unless one is given: they set
    it through the password-reset mail."""
    from accounts.tenancy import tenant_scope

    with transaction.atomic():
        tenant = Tenant(slug=slug, name=name, timezone=timezone_name,
                        fiscal_year_start_month=fiscal_year_start_month)
        tenant.full_clean()
        tenant.save()
        with tenant_scope(tenant):
            create_staff_member(tenant=tenant, email=admin_email, role=Role.ADMIN, password=admin_password)
    return tenant


def update_tenant_settings(*, tenant: Tenant, name: str, timezone_name: str,
                           fiscal_year_start_month: int) -> Tenant:
    """The settings a tenant admin may edit. The slug is not among them: it is in every URL and bookmark."""
    with transaction.atomic():
        tenant.name = name
        tenant.timezone = timezone_name
        tenant.fiscal_year_start_month = fiscal_year_start_month
        tenant.full_clean()
        tenant.save(update_fields=["name", "timezone", "fiscal_year_start_month"])
    return tenant


# --- members of a tenant ------------------------------------------------------------------------


class MembershipError(ValueError):
    """A membership change that the tenant's rules refuse; the message is meant for the admin."""


def _lock_memberships(tenant: Tenant) -> None:
    # Locking the tenant row serializes membership changes within one tenant: two admins demoting
    # each other at the same moment must not both see "another admin remains".
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))


def _locked_membership(tenant: Tenant, membership: Membership) -> Membership:
    current = Membership.objects.select_for_update().filter(tenant=tenant, pk=membership.pk).first()
    if current is None:
        raise MembershipError(f"{membership.user.email or membership.user} is no longer a member of this tenant.")
    return current


def _is_last_admin(tenant: Tenant, membership: Membership) -> bool:
    return membership.role == Role.ADMIN and not (
        Membership.objects.filter(tenant=tenant, role=Role.ADMIN).exclude(pk=membership.pk).exists()
    )


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise MembershipError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")


def _unassign_accounts(tenant: Tenant, user_id: int) -> int:
    """Accounts are owned only by admin, manager or CSM members of their tenant (see upsert_accounts)."""
    return CustomerAccount.objects.filter(tenant=tenant, owner_csm_id=user_id).update(
        owner_csm=None, updated_at=timezone.now()
    )


def add_member(*, tenant: Tenant, email: str, role: str, name: str = "") -> Membership:
    """A user joins the tenant: an existing user (matched by email) or a new one without a usable
    password. Adding someone who is already a member is refused: their role is changed with
    :func:`change_member_role`, which guards the last admin."""
    _check_role(role)
    email = email.strip()
    with transaction.atomic():
        _lock_memberships(tenant)
        if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
            raise MembershipError(f"{email} is already a member of this tenant; change their role in the table.")
        return create_staff_member(tenant=tenant, email=email, role=role, name=name)


@dataclass(frozen=True)
class MemberChange:
    membership: Membership
    accounts_unassigned: int = 0


def change_member_role(*, tenant: Tenant, membership: Membership, role: str) -> MemberChange:
    """Give a member another role. The last admin of a tenant keeps the role: someone must be able
    to manage the tenant. Moving to a role that cannot own accounts unassigns the accounts they own."""
    _check_role(role)
    with transaction.atomic():
        _lock_memberships(tenant)
        current = _locked_membership(tenant, membership)
        if current.role == role:
            return MemberChange(current)
        if _is_last_admin(tenant, current):
            raise MembershipError(f"{current.user.email or current.user} is the last admin of this tenant; "
                                  "make another member admin first.")
        current.role = role
        current.save(update_fields=["role"])
        unassigned = 0 if role in CSM_ROLES else _unassign_accounts(tenant, current.user_id)
    membership.role = role
    return MemberChange(current, unassigned)


def remove_member(*, tenant: Tenant, membership: Membership) -> MemberChange:
    """The member leaves the tenant (their user stays: it may belong to other tenants). The last
    admin cannot be removed, not even by themself. Accounts they owned become unassigned."""
    with transaction.atomic():
        _lock_memberships(tenant)
        current = _locked_membership(tenant, membership)
        if _is_last_admin(tenant, current):
            raise MembershipError(f"{current.user.email or current.user} is the last admin of this tenant "
                                  "and cannot be removed; make another member admin first.")
        unassigned = _unassign_accounts(tenant, current.user_id)
        current.delete()
    return MemberChange(current, unassigned)


def create_api_key(*, tenant: Tenant, name: str, scopes: Sequence[str]) -> tuple[Any, str]:
    """A new key; the raw key is returned once and only its hash is stored."""
    from accounts.models import ApiKey
    from accounts.models.tenants import ApiScope, hash_api_key, new_raw_api_key

    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {', '.join(ApiScope.values)}; got {unknown}")
    raw = new_raw_api_key()
    key = ApiKey.objects.create(tenant=tenant, name=name, prefix=raw[:12], key_hash=hash_api_key(raw),
                                scopes=sorted(set(scopes)))
    return key, raw


def revoke_api_key(*, key: Any) -> Any:
    """Revoke a key (idempotent: a second revoke keeps the first time). The row stays, for the audit trail."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


# --- contacts met in usage events (health ingestion) --------------------------------------------


@dataclass
class EventContacts:
    """What :func:`create_contacts_from_events` found: every asked contact as external_id ->
    (contact id, account id), and the ids of those it created (the others were created concurrently)."""

    by_external_id: dict[str, tuple[int, int]]
    created_ids: list[int]


# How stale ``Contact.last_seen_at`` may be (see :func:`record_contacts_seen`).
LAST_SEEN_GRAIN = dt.timedelta(minutes=15)


def create_contacts_from_events(*, tenant: Tenant, contacts: Mapping[str, tuple[int, dt.datetime]]) -> EventContacts:
    """Create the contacts first met in usage events: ``external_id -> (account id, first event time)``.

    One ``INSERT ... ON CONFLICT DO NOTHING`` (rows in external_id order, so concurrent batches lock in
    the same order): a contact created meanwhile by another request is not an error, it is looked up
    (a second query, only then) and answered with its own account, which the caller checks. New
    contacts have only an external_id and their first/last seen times; an upsert through
    ``POST /contacts/bulk`` fills in the rest later.
    """
    if not contacts:
        return EventContacts({}, [])
    table = Contact._meta.db_table
    external_ids = sorted(contacts)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (tenant_id, external_id, account_id, email, phone, name, persona, knowledge_level,
                                 first_seen_at, last_seen_at, created_at, updated_at)
            SELECT %s, n.external_id, n.account_id, '', '', '', '', %s, n.seen_at, n.seen_at, %s, %s
            FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[]) AS n(external_id, account_id, seen_at)
            ORDER BY n.external_id
            ON CONFLICT (tenant_id, external_id) DO NOTHING
            RETURNING external_id, id, account_id
            """,  # noqa: S608 (the table name is the model's)
            [tenant.pk, KnowledgeLevel.BEGINNER, now, now, external_ids,
             [contacts[e][0] for e in external_ids], [contacts[e][1] for e in external_ids]],
        )
        created = {external_id: (pk, account_id) for external_id, pk, account_id in cursor.fetchall()}
    found = dict(created)
    raced = [e for e in external_ids if e not in created]
    if raced:
        found.update(
            (external_id, (pk, account_id))
            for external_id, pk, account_id in Contact.objects.filter(tenant=tenant, external_id__in=raced)
            .values_list("external_id", "id", "account_id")
        )
    return EventContacts(found, sorted(pk for pk, _ in created.values()))


def record_contacts_seen(*, tenant: Tenant, seen: Mapping[int, tuple[dt.datetime, dt.datetime]]) -> int:
    """Widen each contact's ``first_seen_at``/``last_seen_at`` to cover ``contact id -> (earliest, latest)``
    event time, in one statement; answers how many contacts changed.

    ``first_seen_at`` is exact (written whenever an earlier event arrives). ``last_seen_at`` is kept to
    :data:`LAST_SEEN_GRAIN`: it is written only when it moves later by more than that, so an active
    contact costs one row write per grain instead of one per ingestion batch (the update was ~12 ms of a
    1,000-event batch). So ``last_seen_at`` may lag a contact's latest event by up to the grain; the
    exact latest day is in the rollups (``health.selectors``), which is what adoption figures read.

    Only rows that change are written, and they are locked in id order, so concurrent batches touching
    the same contacts wait for each other instead of deadlocking. ``updated_at`` is not bumped: being
    seen is activity, not an edit, and syncs by ``updated_since`` would otherwise re-read every active contact all day.
    """
    if not seen:
        return 0
    table = Contact._meta.db_table
    ids = sorted(seen)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH seen AS (
                SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS s(id, first_at, last_at)
            ), due AS (
                SELECT c.id, s.first_at, s.last_at FROM {table} c JOIN seen s ON s.id = c.id
                WHERE c.tenant_id = %s
                  AND (c.first_seen_at IS NULL OR c.first_seen_at > s.first_at
                       OR c.last_seen_at IS NULL OR c.last_seen_at < s.last_at - %s)
                ORDER BY c.id
                -- NO KEY UPDATE, as a plain UPDATE of these columns would take: FOR UPDATE would also
                -- wait for the KEY SHARE locks that foreign-key checks of concurrent inserts hold on
                -- contacts (rows of other tables point at them), and deadlock with those batches.
                FOR NO KEY UPDATE OF c
            )
            UPDATE {table} c
            SET first_seen_at = LEAST(c.first_seen_at, due.first_at),
                last_seen_at = GREATEST(c.last_seen_at, due.last_at)
            FROM due WHERE c.id = due.id
            """,  # noqa: S608 (the table name is the model's)
            [ids, [seen[i][0] for i in ids], [seen[i][1] for i in ids], tenant.pk, LAST_SEEN_GRAIN],
        )
        return cursor.rowcount
