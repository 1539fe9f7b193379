"""Monthly partitions of ``health_usage_event`` (created in migration 0002, ``PARTITION BY RANGE (occurred_at)``).

One partition per UTC month, named ``health_usage_event_pYYYYMM``, shared by every tenant (the tenant is
not part of the partition key: a tenant's month would be far too small a table). Partitions are made
- ahead of time by the beat task ``health.tasks.create_usage_partitions`` (this month and the next two),
- on demand before a batch is written, for the months it needs (historical imports),
and dropped by retention once no tenant has rows in them (``health.usage.services.retention``).

There is no DEFAULT partition on purpose: once it holds a row of some month, creating that month's
partition fails until the row is moved. Creating on demand costs one catalogue look-up per batch at
most (known months are cached per process once committed).

Creation and dropping serialize on one advisory lock, so concurrent batches needing the same new month
neither fail on each other's ``CREATE TABLE`` nor race a drop.

The application role owns nothing (DESIGN.md tenancy rule 8), so it creates and drops partitions through
two functions that run with the owner's rights and do only that (``cs_create_usage_partition``,
``cs_drop_usage_partition``, cs_platform/db/rls.py); a new partition gets its parent's row-level security.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import connection as default_connection
from django.db import transaction

PARENT = "health_usage_event"


_NAME = re.compile(rf"^{PARENT}_p([0-9]{{4}})([0-9]{{2}})$")


# pg_advisory_xact_lock key: "usage partitions" (any constant unique in this project will do).
LOCK_KEY = 0x75736167


MONTHS_AHEAD = 2


_known_months: set[dt.date] = set()  # months whose partition exists in committed state


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    """The first day of the UTC month holding ``moment`` (aware datetimes are converted to UTC)."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment
    return dt.date(moment.year, moment.month, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{PARENT}_p{month.year:04d}{month.month:02d}"


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of the partition of ``month``, as UTC instants."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    end_month = next_month(month)
    return start, dt.datetime(end_month.year, end_month.month, 1, tzinfo=dt.UTC)


def existing_partitions(*, connection=None) -> dict[dt.date, str]:
    """Every partition of the events table, by month."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            found[dt.date(int(match[1]), int(match[2]), 1)] = name
    return found


def _remember(months: Iterable[dt.date], connection) -> None:
    # Inside an outer transaction (a test, a caller's atomic block) what was seen or created may still
    # be rolled back, so only committed state is cached.
    months = set(months)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _known_months.update(months), using=connection.alias)
    else:
        _known_months.update(months)


def forget_known_partitions() -> None:
    """Drop the per-process cache (after a failed insert found a month missing, or a partition drop)."""
    _known_months.clear()


def ensure_partitions(months: Iterable[dt.date], *, connection=None) -> list[str]:
    """Make sure a partition exists for each month; answers the names of those it created.

    Runs in its own short transaction when called outside one: ``CREATE TABLE ... PARTITION OF`` locks
    the parent table, and holding that lock for a whole batch would stall every other writer.
    """
    connection = connection or default_connection
    wanted = {month_of(m) for m in months} - _known_months
    if not wanted:
        return []
    existing = existing_partitions(connection=connection)
    missing = sorted(wanted - set(existing))
    created = []
    if missing:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            # Another process may have created some while we waited for the lock.
            existing = existing_partitions(connection=connection)
            for month in missing:
                if month in existing:
                    continue
                cursor.execute("SELECT cs_create_usage_partition(%s)", [month])
                name = cursor.fetchone()[0]
                if name:
                    created.append(name)
    _remember(wanted, connection)
    return created


def ensure_partitions_ahead(*, today: dt.date | None = None, ahead: int = MONTHS_AHEAD, connection=None) -> list[str]:
    """This UTC month and the next ``ahead`` ones (the beat task; also run by the migration)."""
    month = month_of(today or dt.datetime.now(dt.UTC))
    months = [month]
    for _ in range(ahead):
        month = next_month(month)
        months.append(month)
    return ensure_partitions(months, connection=connection)


def drop_partition(month: dt.date, *, only_if_empty: bool = True, connection=None) -> bool:
    """Drop one month's partition (under the creation lock). With ``only_if_empty`` it is kept if any
    tenant still has a row in it; the check and the drop happen under the table's exclusive lock, so no
    row can slip in between."""
    connection = connection or default_connection
    forget_known_partitions()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        # The function locks the parent and the partition (parent first, as inserts do: no deadlock with a
        # batch that holds the parent) and checks for rows of every tenant under that lock.
        cursor.execute("SELECT cs_drop_usage_partition(%s, %s)", [month, only_if_empty])
        return bool(cursor.fetchone()[0])
