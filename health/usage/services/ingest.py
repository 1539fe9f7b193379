"""Usage-event ingestion (API.md ``POST /events/bulk``): validate in plain Python, write with COPY.

Validation is plain code on purpose: DRF serializers validate ~31k items/s, which alone would cap the
endpoint below its target. The common item (ASCII texts, an ISO time, an object of properties) takes one
pass (:func:`fast_valid_item`, ~3 us); anything else goes through :func:`validate_item`, which checks each
item alone and rejects it by its index with every error it has. The valid items are written.

The write of one batch is a single transaction, so a batch is never half-stored nor counted twice:

1. accounts and contacts are resolved in one query; contacts met for the first time are created
   (``accounts.services.contacts.create_contacts_from_events``, first and last seen = their earliest event in the
   batch), which hands them to continuous onboarding once the batch commits;
2. the batch is copied (psycopg 3 binary ``COPY``) into a per-connection temporary staging table;
3. one statement then inserts the event ids into ``health_usageeventkey`` (``ON CONFLICT DO NOTHING
   RETURNING``: what comes back is what is new), copies only those events into the partitioned
   ``health_usage_event``, and stages what they add to the daily rollups (buckets per account, contact,
   day in the tenant's time zone and event name) and to their contacts' first/last seen times as **one
   row** of ``health_usagepending`` (the outbox, ``health/usage/services/rollups.py``);
4. after commit, a merge of the tenant's staged rows is scheduled (``health.usage.services.rollups.schedule_merge``).

The merge (``health.usage.services.rollups.merge_pending_usage``, Celery ``health.tasks.merge_usage_rollups``) folds
staged rows into ``health_usagedaily`` and the contacts' seen times and deletes them in one transaction,
so a batch is counted exactly once; readers see merged and staged rows together through the view
``health_usage_rollups`` (``health.usage.selectors.adoption``), so adoption figures do not wait for it. Only the
contacts' seen times of known contacts lag until the merge.

Why the outbox (``bench/ingest.py``, README "Benchmarks"): in the request, a new rollup bucket cost ~7 us
(an ``ON CONFLICT`` upsert into a large index) and a contact whose seen times moved ~15 us, more than the
key and the event row together; one staged row per batch costs ~2 us per event, and the merge, off the
request path, upserts each bucket once per merge instead of once per batch. What remains per event: ~4 us
for the key (a unique-index insert, kept in byte order), ~3 us for the event row, ~1 us for the stage,
~3 us of Python validation. Every multi-row write goes in key order, so concurrent batches over the same
contacts wait for each other instead of deadlocking; the months a batch needs get their partitions before
the transaction (``health.usage.services.partitions``). The service accepts batches larger than the endpoint's 1,000 for
historical imports (10,000 costs less per event: fewer round trips and commits).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction

from accounts.models import Tenant
from accounts.services.contacts import create_contacts_from_events
from cs_platform import bounds
from cs_platform.api.serializers import RESERVED_EXTERNAL_IDS, external_id_error
from cs_platform.bounds import INT8_MAX
from cs_platform.bulk import BulkResult
from health.usage.models import UsageEventKey, UsagePending
from health.usage.services import partitions, rollups

FIELDS = frozenset({"event_id", "account", "contact", "name", "occurred_at", "properties"})


REQUIRED = ("event_id", "account", "name", "occurred_at")


MAX_EVENT_ID = 200


MAX_EXTERNAL_ID = 128  # CustomerAccount/Contact.external_id


MAX_NAME = 200


# Bounds on occurred_at: history is welcome, but a typo such as year 0025 or 2205 must not create
# partitions for centuries. A little future is allowed for clocks that run ahead.
# EARLIEST is the platform's (cs_platform.bounds); events are tighter at the far end.
EARLIEST = bounds.EARLIEST


FUTURE_SKEW = dt.timedelta(days=1)


# One encoder for all: json.dumps with options builds a new one per call, which was half of validation.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


STAGE = "health_ingest_stage"


STAGE_COLUMNS = ("event_id", "account_id", "contact_id", "name", "occurred_at", "properties")


STAGE_TYPES = ("text", "int8", "int8", "text", "timestamptz", "text")


@dataclass
class EventBulkResult(BulkResult):
    """API.md's bulk answer for events: no created/updated (events are never updated), but how many
    contacts the batch created."""

    contacts_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        self.rejected.sort(key=lambda r: r["index"])
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected,
                "contacts_created": self.contacts_created}


@dataclass(slots=True)
class CleanEvent:
    index: int
    event_id: str
    account: str
    contact: str | None
    name: str
    occurred_at: dt.datetime
    properties: str  # JSON text, checked to be storable as jsonb


def _error(field: str | None, message: str) -> dict[str, Any]:
    return {"field": field, "message": message}


def _text_error(value: Any, max_length: int) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if not value or value.isspace():
        return "must not be blank"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    if not value.isascii() and not _encodable(value):
        return "must be valid Unicode text (no lone surrogates)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_time(value: Any, now: dt.datetime) -> tuple[dt.datetime | None, str | None]:
    if not isinstance(value, str):
        return None, "must be an ISO 8601 date-time string with an offset, e.g. 2025-01-31T09:30:00Z"
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None, "not an ISO 8601 date-time; e.g. 2025-01-31T09:30:00+00:00 or ...Z"
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None, "include a UTC offset, e.g. 2025-01-31T09:30:00+00:00 or ...Z"
    if moment < EARLIEST:
        return None, f"must not be before {EARLIEST.date().isoformat()}"
    if moment > now + FUTURE_SKEW:
        return None, "must not be more than a day in the future"
    return moment, None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _out_of_range_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -INT8_MAX - 1 <= value <= INT8_MAX
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_out_of_range_number(v) for v in value.values())
    if isinstance(value, list):
        return any(_out_of_range_number(v) for v in value)
    return False


# A number past 1e308 decodes to inf (jsonb refuses "Infinity": the whole batch failed), and one past 64
# bits is read back as a float by orjson and most tools. Both show in the encoded text: the cheap test first.
_SUSPECT_NUMBER = re.compile(r"Infinity|NaN|[0-9]{19}")
_FAST_SUSPECT_NUMBER = re.compile(r"null|[0-9]{19}")


def _properties_json(value: Any) -> tuple[str | None, str | None]:
    if value is None or value == {}:
        return "{}", None
    if not isinstance(value, dict):
        return None, "must be a JSON object"
    text = _JSON.encode(value)
    if _SUSPECT_NUMBER.search(text) and _out_of_range_number(value):
        return None, "numbers must be finite, and whole numbers within the 64-bit range"
    # jsonb refuses \u0000 (and so would the whole batch); check the cheap way first.
    if "\\u0000" in text and _has_nul(value):
        return None, "must not contain NUL characters (\\u0000)"
    if not text.isascii() and not _encodable(text):
        return None, "must be valid Unicode text (no lone surrogates)"
    return text, None


def validate_item(index: int, raw: Any, now: dt.datetime) -> tuple[CleanEvent | None, list[dict[str, Any]]]:
    """One item of a batch: the clean event, or every error found in it."""
    if not isinstance(raw, dict):
        return None, [_error(None, "each item must be a JSON object")]
    errors = [_error(name, "unknown field") for name in raw if name not in FIELDS] if raw.keys() - FIELDS else []
    errors += [_error(name, "this field is required") for name in REQUIRED if raw.get(name) is None]
    event_id, account, contact = raw.get("event_id"), raw.get("account"), raw.get("contact")
    name, occurred_at = raw.get("name"), None
    for field, value, limit in (("event_id", event_id, MAX_EVENT_ID), ("account", account, MAX_EXTERNAL_ID),
                                ("name", name, MAX_NAME)):
        if value is not None and (message := _text_error(value, limit)):
            errors.append(_error(field, message))
    # An unknown contact is created under this id, so it must be one the API can address.
    if contact is not None and (message := _text_error(contact, MAX_EXTERNAL_ID) or external_id_error(contact)):
        errors.append(_error("contact", message))
    if raw.get("occurred_at") is not None:
        occurred_at, message = _parse_time(raw["occurred_at"], now)
        if message:
            errors.append(_error("occurred_at", message))
    properties, message = _properties_json(raw.get("properties"))
    if message:
        errors.append(_error("properties", message))
    if errors:
        return None, errors
    return CleanEvent(index, event_id, account, contact, name, occurred_at, properties), []


def fast_valid_item(index: int, raw: Any, latest: dt.datetime) -> CleanEvent | None:
    """The common case in one pass: a well-formed item with ASCII texts, answered as a clean event; ``None``
    for anything else, which :func:`validate_item` then decides (and words) exactly. Never accepts what
    :func:`validate_item` rejects (``tests/health/usage/test_ingest.py`` checks both on the same items).
    ``latest`` is ``now + FUTURE_SKEW``. ~2x faster than :func:`validate_item` on a 1,000-event batch:
    fewer calls, and orjson (~10x faster than the standard encoder) for the properties."""
    if type(raw) is not dict or not raw.keys() <= FIELDS:
        return None
    get = raw.get
    event_id, account, name, contact, when = get("event_id"), get("account"), get("name"), get("contact"), \
        get("occurred_at")
    # _plain() inlined (four calls per item were a tenth of the batch's Python time).
    if not (type(event_id) is str and 0 < len(event_id) <= MAX_EVENT_ID and event_id.isascii()
            and "\x00" not in event_id and not event_id.isspace()
            and type(account) is str and 0 < len(account) <= MAX_EXTERNAL_ID and account.isascii()
            and "\x00" not in account and not account.isspace()
            and type(name) is str and 0 < len(name) <= MAX_NAME and name.isascii()
            and "\x00" not in name and not name.isspace()
            and (contact is None or (type(contact) is str and 0 < len(contact) <= MAX_EXTERNAL_ID
                                     and contact.isascii() and "\x00" not in contact and not contact.isspace()
                                     and "/" not in contact and contact.strip() not in RESERVED_EXTERNAL_IDS))):
        return None
    if type(when) is not str:
        return None
    try:
        moment = dt.datetime.fromisoformat(when)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None or not EARLIEST <= moment <= latest:
        return None
    properties = get("properties")
    if properties is None or properties == {}:
        text = "{}"
    elif type(properties) is dict:
        try:
            text = orjson.dumps(properties).decode()
        except (TypeError, orjson.JSONEncodeError):  # non-text keys, lone surrogates, huge integers...
            return None
        # orjson writes inf as null and takes unsigned 64-bit integers: validate_item decides those.
        if "\\u0000" in text or (_FAST_SUSPECT_NUMBER.search(text) and _out_of_range_number(properties)):
            return None
    else:
        return None
    return CleanEvent(index, event_id, account, contact, name, moment, text)


def ingest_events(*, tenant: Tenant, items: Sequence[Any], now: dt.datetime | None = None) -> EventBulkResult:
    """Validate and store one batch of usage events of ``tenant`` (see the module docstring)."""
    result = EventBulkResult()
    now = now or dt.datetime.now(dt.UTC)
    valid: list[CleanEvent] = []
    latest = now + FUTURE_SKEW
    for index, raw in enumerate(items):
        event = fast_valid_item(index, raw, latest)
        if event is None:
            event, errors = validate_item(index, raw, now)
            if errors:
                result.reject(index, errors)
                continue
        valid.append(event)
    if not valid:
        return result

    account_ids, known = _known_ids(tenant, {e.account for e in valid},
                                    {e.contact for e in valid if e.contact is not None})
    seen_ids: set[str] = set()
    events: list[CleanEvent] = []
    for event in valid:
        if event.account not in account_ids:
            result.reject(event.index, [_error("account", "no account with this external_id")])
        elif event.event_id in seen_ids:
            result.duplicates += 1  # a repeat within the batch: the first one stands
        else:
            seen_ids.add(event.event_id)
            events.append(event)
    if not events:
        return result

    events = _check_contacts(events, known, account_ids, result)
    if not events:
        return result
    partitions.ensure_partitions(_months(events))
    try:
        _store(tenant, events, known, account_ids, result)
    except IntegrityError as exc:
        if "no partition of relation" not in str(exc):
            raise
        # A partition this process believed in was dropped (retention) since: look again and retry once.
        partitions.forget_known_partitions()
        partitions.ensure_partitions(_months(events))
        _store(tenant, events, known, account_ids, result)
    return result


def _months(events: list[CleanEvent]) -> set[dt.date]:
    """The UTC months of the events: a live batch lies within one month, told by its first and last times
    (two conversions instead of one per event); any other batch is looked at event by event."""
    earliest = min(e.occurred_at for e in events)
    latest = max(e.occurred_at for e in events)
    first, last = partitions.month_of(earliest), partitions.month_of(latest)
    if first == last:
        return {first}
    return {partitions.month_of(e.occurred_at) for e in events}


def _known_ids(tenant: Tenant, accounts: set[str], contacts: set[str]
               ) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """external_id -> account id, and external_id -> (contact id, account id), for those that exist: what
    ``accounts.selectors.account_ids_by_external_id`` and ``contacts_by_external_id`` answer, in one round
    trip and without the ORM.

    The ids go as array literals built here (:func:`_text_array`): psycopg adapts a Python list element by
    element in Python (~1 ms per 1,000 ids). A literal array is a constant to the planner, so ``= ANY`` is
    either an index scan or a hashed filter whatever the statistics say; a set-returning function in its
    place (tried: ``IN (SELECT json_array_elements_text(...))``) was planned as a nested loop over a
    sequential scan when the contacts table had been analysed empty, 1,000 x 10,000 comparisons per batch.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT NULL::bigint, a.external_id, a.id FROM accounts_customeraccount a
            WHERE a.tenant_id = %(tenant)s AND a.external_id = ANY(%(accounts)s::text[])
            UNION ALL
            SELECT c.account_id, c.external_id, c.id FROM accounts_contact c
            WHERE c.tenant_id = %(tenant)s AND c.external_id = ANY(%(contacts)s::text[])
            """,
            {"tenant": tenant.pk, "accounts": _text_array(accounts), "contacts": _text_array(contacts)},
        )
        account_ids: dict[str, int] = {}
        known: dict[str, tuple[int, int]] = {}
        for account_id, external_id, pk in cursor.fetchall():
            if account_id is None:
                account_ids[external_id] = pk
            else:
                known[external_id] = (pk, account_id)
    return account_ids, known


def _text_array(values: set[str]) -> str:
    """A PostgreSQL array literal of texts: each element double-quoted, with backslashes and double quotes
    escaped (validated texts hold no NUL)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _check_contacts(events: list[CleanEvent], known: dict[str, tuple[int, int]], account_ids: dict[str, int],
                    result: EventBulkResult) -> list[CleanEvent]:
    """An event's contact must belong to the event's account; a new contact takes the account of its
    first event in the batch."""
    new_account: dict[str, str] = {}
    kept = []
    for event in events:
        if event.contact is None:
            kept.append(event)
            continue
        if event.contact in known:
            if known[event.contact][1] != account_ids[event.account]:
                result.reject(event.index, [_error("contact", "this contact belongs to another account")])
                continue
        elif new_account.setdefault(event.contact, event.account) != event.account:
            result.reject(event.index, [_error(
                "contact", f"a new contact; this batch also gives it account {new_account[event.contact]!r}")])
            continue
        kept.append(event)
    return kept


def _store(tenant: Tenant, events: list[CleanEvent], known: dict[str, tuple[int, int]],
           account_ids: dict[str, int], result: EventBulkResult) -> None:
    nested = connection.in_atomic_block
    with transaction.atomic():
        contact_ids = {external_id: pk for external_id, (pk, _) in known.items()}
        first_seen: dict[str, tuple[int, dt.datetime]] = {}
        for event in events:
            if event.contact is not None and event.contact not in known:
                account_id = account_ids[event.account]
                earlier = first_seen.get(event.contact)
                if earlier is None or event.occurred_at < earlier[1]:
                    first_seen[event.contact] = (account_id, event.occurred_at)
        created_count = 0
        if first_seen:
            made = create_contacts_from_events(tenant=tenant, contacts=first_seen)
            for external_id, (pk, account_id) in made.by_external_id.items():
                if account_id != first_seen[external_id][0]:
                    continue  # created meanwhile by another batch under another account: rejected below
                contact_ids[external_id] = pk
            created_count = len(made.created_ids)
        rows = []
        rejected = []
        for event in events:
            contact_id = None
            if event.contact is not None:
                contact_id = contact_ids.get(event.contact)
                if contact_id is None:
                    rejected.append(event.index)
                    continue
            rows.append((event.event_id, account_ids[event.account], contact_id, event.name, event.occurred_at,
                         event.properties))
        accepted = _copy_and_insert(tenant, rows, truncate_first=nested) if rows else 0
        if accepted:
            tenant_id = tenant.pk
            transaction.on_commit(lambda: rollups.schedule_merge(tenant_id))
    # Counted only once the transaction has succeeded (a retry after a missing partition runs it again).
    for index in rejected:
        result.reject(index, [_error("contact", "this contact belongs to another account")])
    result.accepted += accepted
    result.duplicates += len(rows) - accepted
    result.contacts_created += created_count


def _copy_and_insert(tenant: Tenant, rows: list[tuple], *, truncate_first: bool) -> int:
    keys, pending = UsageEventKey._meta.db_table, UsagePending._meta.db_table
    with connection.cursor() as cursor:
        # ON COMMIT DELETE ROWS empties the stage at every commit; inside a caller's transaction (a test,
        # an import) several batches may share one, so it is emptied by hand there.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (event_id text COLLATE \"C\", account_id bigint, "
            f"contact_id bigint, name text, occurred_at timestamptz, properties text) ON COMMIT DELETE ROWS"
            + (f"; TRUNCATE {STAGE}" if truncate_first else "")
        )
        with cursor.cursor.copy(f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(STAGE_TYPES)
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"""
            WITH fresh AS (
                INSERT INTO {keys} (tenant_id, event_id)
                SELECT %(tenant)s, event_id FROM {STAGE} ORDER BY event_id
                ON CONFLICT DO NOTHING
                RETURNING event_id
            ), accepted AS MATERIALIZED (
                SELECT s.* FROM {STAGE} s JOIN fresh f ON f.event_id = s.event_id
            ), stored AS (
                INSERT INTO {partitions.PARENT} (tenant_id, occurred_at, account_id, contact_id, event_id, name,
                                                 properties)
                SELECT %(tenant)s, occurred_at, account_id, contact_id, event_id, name, properties::jsonb
                FROM accepted
            ), buckets AS (
                SELECT account_id, contact_id, (occurred_at AT TIME ZONE %(zone)s)::date AS day, name,
                       count(*)::integer AS n
                FROM accepted GROUP BY 1, 2, 3, 4
            ), seen AS (
                SELECT contact_id, min(occurred_at) AS first_at, max(occurred_at) AS last_at
                FROM accepted WHERE contact_id IS NOT NULL GROUP BY 1
            ), staged AS (
                INSERT INTO {pending} (tenant_id, batch_id, created_at, events, account_ids, contact_ids, days,
                                       event_names, counts, seen_contact_ids, seen_first, seen_last)
                SELECT %(tenant)s, %(batch)s, now(), (SELECT count(*) FROM accepted), b.*,
                       coalesce(s.ids, '{{}}'), coalesce(s.firsts, '{{}}'), coalesce(s.lasts, '{{}}')
                FROM (SELECT array_agg(account_id) AS accounts, array_agg(contact_id) AS contacts,
                             array_agg(day) AS days, array_agg(name) AS names, array_agg(n) AS counts
                      FROM buckets) b,
                     (SELECT array_agg(contact_id) AS ids, array_agg(first_at) AS firsts, array_agg(last_at) AS lasts
                      FROM seen) s
                WHERE b.accounts IS NOT NULL
            )
            SELECT count(*) FROM accepted
            """,  # noqa: S608 (table names are ours)
            {"tenant": tenant.pk, "zone": tenant.timezone, "batch": uuid.uuid4()},
        )
        return cursor.fetchone()[0]
