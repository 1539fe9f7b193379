"""Every write to contacts, for every source (DESIGN.md: keyword-only, typed, atomic; "Data that flows").

The contact lifecycle has this one home:

- **created** by :func:`upsert_contacts` (``POST /api/v1/contacts/bulk``, the CSV import, the demo seed),
  :func:`save_contact` (the contact page form, the Django admin), :func:`create_contact` (support's
  identity resolution: a ticket or interaction from an unknown address) and
  :func:`create_contacts_from_events` (a contact's first usage event);
- **updated** by :func:`upsert_contacts`, :func:`save_contact` and :func:`record_contacts_seen`;
- **merged** by :func:`merge_contact_into` (support's ``merge_contacts`` moves its own rows first) and
  **deleted** by :func:`delete_contact`.

The "new contact" hook (continuous onboarding, ``learning.services.enroll_new_contacts``) is called by
:func:`_contacts_created` only: once per write, with exactly the contacts that write created, never an
updated one, a duplicate of a retried item, or one a concurrent request created first (each creation
path tells them apart in the database: ``RETURNING`` of ``ON CONFLICT DO NOTHING``, a plain ``INSERT``
that fails on a taken key). A bulk batch hands all its new ids in one call, not one call per contact.

It runs **on commit** (``transaction.on_commit``), not inside the writer's transaction:

- a write that rolls back (an import chunk that fails, an ingestion batch retried after a missing
  partition, a savepoint lost to a concurrent insert) never enrolls a contact that does not exist, and
  a transaction that is retried does not call it twice; enrollment may send mail or enqueue tasks
  without every writer having to defer them;
- ``robust=True``: a failing enrollment is logged and neither turns an already committed write into an
  error (a client retrying would only get duplicates, so no enrollment either) nor skips the writer's
  other on-commit work (ingestion's rollup merge).

The price: contacts whose process dies between the commit and the hook are not enrolled. When the
learning issue gives the hook real work, it should enqueue a Celery task (retries), and may sweep
contacts without an enrollment. The hook is looked up on ``learning.services`` when it runs, in the
contact's tenant scope, so a test can record its calls by replacing that attribute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.inputs import ContactItem
from accounts.models import Contact, CustomerAccount, KnowledgeLevel, Tenant
from accounts.services.hooks import CONTACT_TARGETING_FIELDS, after_commit_in_scope, targeting_changed
from accounts.services.upserts import _watched_changes, _write
from cs_platform.bulk import BulkResult, validate_batch
from learning import services as learning_services

CONTACT_FIELDS = ("account_id", "email", "phone", "name", "persona", "knowledge_level", "language")


def _contacts_created(tenant: Tenant, contact_ids: Sequence[int]) -> None:
    """Hand contacts just created to continuous onboarding once the write commits (see the module doc)."""
    if not contact_ids:
        return
    ids = sorted(contact_ids)
    after_commit_in_scope(tenant, lambda: learning_services.enroll_new_contacts(tenant=tenant, contact_ids=ids))


def upsert_contacts(*, tenant: Tenant, items: Sequence[Any]) -> BulkResult:
    """The bulk upsert by external_id of the API, the CSV import and the demo seed; the contacts it
    created go to the hook in one call."""
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
    retargeted = _watched_changes(Contact, tenant, prepared, CONTACT_TARGETING_FIELDS)
    # Registered after _write's transaction: with no outer one it has committed, and the hooks run now.
    _contacts_created(tenant, _write(Contact, tenant, prepared, CONTACT_FIELDS, result))
    targeting_changed(tenant, retargeted)
    return result


def save_contact(*, tenant: Tenant, contact: Contact) -> Contact:
    """Create or update one contact (the contact page form, the admin, :func:`create_contact`); a
    contact it creates goes to the hook. A taken external_id or email raises ``IntegrityError``."""
    creating = contact._state.adding
    contact.tenant = tenant
    if contact.email:
        contact.email = contact.email.strip().lower()
    before = None if creating else Contact.objects.filter(tenant=tenant, pk=contact.pk).values_list(
        *CONTACT_TARGETING_FIELDS).first()
    contact.save()
    if creating:
        _contacts_created(tenant, [contact.pk])
    elif before != tuple(getattr(contact, name) for name in CONTACT_TARGETING_FIELDS):
        targeting_changed(tenant, [contact.pk])
    return contact


@dataclass
class CreatedContact:
    contact: Contact
    created: bool


def create_contact(
    *,
    tenant: Tenant,
    account: CustomerAccount,
    external_id: str,
    email: str = "",
    phone: str = "",
    name: str = "",
) -> CreatedContact:
    """One new contact, e.g. the person behind a ticket from an unknown address (support's identity
    resolution), handed to the hook.

    When its external_id or email is taken (a concurrent request created the same person first),
    nothing is written and nothing enrolled: the contact holding it is answered, ``created=False``
    (the one with this external_id, else the one with this email).
    """
    contact = Contact(tenant=tenant, account=account, external_id=external_id, email=email, phone=phone, name=name)
    try:
        with transaction.atomic():
            save_contact(tenant=tenant, contact=contact)
    except IntegrityError:
        taken = Q(external_id=external_id)
        if contact.email:
            taken |= Q(email_lower=contact.email)
        holders = sorted(
            Contact.objects.filter(tenant=tenant).annotate(email_lower=Lower("email")).filter(taken)
            .select_related("account")[:2],
            key=lambda c: c.external_id != external_id,
        )
        if not holders:
            raise
        return CreatedContact(holders[0], created=False)
    return CreatedContact(contact, created=True)


def lock_contacts(*, tenant: Tenant, contact_ids: Collection[int]) -> dict[int, Contact]:
    """Lock these contacts of ``tenant`` until the caller's transaction ends and read them afresh (with
    their accounts), as ``id -> contact``; ids of another tenant are simply missing. Locked in id order,
    so two merges of the same pair in opposite directions cannot deadlock. Call it inside ``atomic()``."""
    return {
        c.pk: c for c in Contact.objects.filter(tenant=tenant, pk__in=list(contact_ids))
        .select_related("account").order_by("pk").select_for_update(of=("self",))
    }


def _referenced_by_other_rows(contact: Contact, skip: Collection[type[models.Model]]) -> bool:
    """Whether any row of a model outside ``skip`` points at ``contact``: what deleting it would delete or
    empty. Through each model's base manager on purpose: it must see what Django's cascade would see,
    which is every row pointing at this contact (its id is one tenant's), whatever the tenant in scope."""
    for rel in Contact._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and rel.is_relation):
            continue
        if rel.related_model in skip:
            continue
        if rel.related_model._base_manager.filter(**{rel.field.name: contact.pk}).exists():
            return True
    return False


def merge_contact_into(
    *,
    tenant: Tenant,
    kept: Contact,
    merged: Contact,
    moved_models: Collection[type[models.Model]] = (),
) -> bool:
    """The contacts' half of merging ``merged`` into ``kept`` (support's ``merge_contacts``); answers
    whether ``merged`` was deleted.

    Runs in the caller's transaction, after it locked both (:func:`lock_contacts`) and repointed its own
    rows from ``merged`` to ``kept``: ``moved_models`` are those rows' models, not searched again. The
    blanks of ``kept`` (email, phone, name) are filled from ``merged``. ``merged`` is deleted when no other
    row points at it; otherwise (usage events, survey answers, ...) it stays, so that no other app's
    history is lost, and gives up its email when ``kept`` takes it (emails are unique per tenant).
    """
    if kept.tenant_id != tenant.pk or merged.tenant_id != tenant.pk:
        raise ValueError("both contacts must belong to this tenant")
    if kept.pk == merged.pk:
        raise ValueError("a contact cannot be merged into itself")
    with transaction.atomic():
        merged_email = merged.email
        take_email = not kept.email and merged_email
        fill = {"phone": merged.phone if not kept.phone else None, "name": merged.name if not kept.name else None}
        deleted = not _referenced_by_other_rows(merged, moved_models)
        if deleted:
            delete_contact(tenant=tenant, contact=merged)
        elif take_email:
            merged.email = ""  # free the address for the kept contact
            save_contact(tenant=tenant, contact=merged)
        changed = False
        if take_email:
            kept.email, changed = merged_email, True
        for name, value in fill.items():
            if value:
                setattr(kept, name, value)
                changed = True
        if changed:
            save_contact(tenant=tenant, contact=kept)
    return deleted


def delete_contact(*, tenant: Tenant, contact: Contact) -> bool:
    """Delete one contact of ``tenant`` and, by Django's cascade, what belongs to it (its identities,
    tickets, usage events, ...); answers whether it existed in this tenant."""
    _, per_model = Contact.objects.filter(tenant=tenant, pk=contact.pk).delete()
    return per_model.get(Contact._meta.label, 0) == 1


@dataclass
class EventContacts:
    """What :func:`create_contacts_from_events` found: every asked contact as external_id ->
    (contact id, account id), and the ids of those it created (the others were created concurrently)."""

    by_external_id: dict[str, tuple[int, int]]
    created_ids: list[int]


# How stale ``Contact.last_seen_at`` may be (see :func:`record_contacts_seen`).
LAST_SEEN_GRAIN = dt.timedelta(minutes=15)


def create_contacts_from_events(*, tenant: Tenant, contacts: Mapping[str, tuple[int, dt.datetime]]) -> EventContacts:
    """Create the contacts first met in usage events: ``external_id -> (account id, first event time)``;
    those it created go to the hook in one call.

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
    created_ids = sorted(pk for pk, _ in created.values())
    _contacts_created(tenant, created_ids)
    return EventContacts(found, created_ids)


def record_contacts_seen(*, tenant: Tenant, seen: Mapping[int, tuple[dt.datetime, dt.datetime]]) -> int:
    """Widen each contact's ``first_seen_at``/``last_seen_at`` to cover ``contact id -> (earliest, latest)``
    event time, in one statement; answers how many contacts changed.

    ``first_seen_at`` is exact (written whenever an earlier event arrives). ``last_seen_at`` is kept to
    :data:`LAST_SEEN_GRAIN`: it is written only when it moves later by more than that, so an active
    contact costs one row write per grain instead of one per ingestion batch (the update was ~12 ms of a
    1,000-event batch). So ``last_seen_at`` may lag a contact's latest event by up to the grain; the
    exact latest day is in the rollups (``health.usage.selectors.adoption``), which is what adoption figures read.

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
