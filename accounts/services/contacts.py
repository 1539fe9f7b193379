"""Every write to contacts (DESIGN.md: keyword-only, typed, atomic)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.inputs import ContactItem
from accounts.models import Contact, CustomerAccount, KnowledgeLevel, Tenant
from accounts.services.upserts import _write
from cs_platform.bulk import BulkResult, validate_batch

CONTACT_FIELDS = ("account_id", "email", "phone", "name", "persona", "knowledge_level")


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


def save_contact(*, tenant: Tenant, contact: Contact) -> Contact:
    contact.tenant = tenant
    if contact.email:
        contact.email = contact.email.strip().lower()
    contact.save()
    return contact


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
