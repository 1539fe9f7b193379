"""Backlog (METRICS.md: tickets open at the period's end) from open spans.

A ticket counts in the backlog at instant T when it was created before T and its latest status change
before T (by ``changed_at``, then id) is not ``resolved`` / ``closed``; no change yet = ``new`` = open.
Reading that definition directly is a latest-change lookup per ticket and instant (2M index probes for
YTD by month over 300k tickets, ~6 s). Instead each ticket's history is folded, when it changes, into
``TicketOpenSpan`` rows: the ticket is open at T iff some span has ``opened_at < T <= closed_at``
(``closed_at`` null = still open). Then

    backlog(T) = #spans with opened_at < T  -  #spans with closed_at < T

for any set of instants in one pass over the narrow span table (:func:`backlog_at`).

Derivation (:data:`_SPANS_SQL`): the status changes in (changed_at, id) order, starting from "open";
the changes that flip openness alternate open -> closed -> open ...; a change at ``c`` governs every
T > c, so each open run becomes the span (start, next flip]; then the span is cut to start no earlier
than ``created_at`` (a change dated before the ticket's creation still decides its status afterwards,
as in the definition) and dropped when nothing of it is left.

Kept in step by support.records.services.tickets (every status change, assignment recompute, and a ticket's
``created_at`` / ``channel`` change); rebuilt for a whole tenant by :func:`rebuild_open_spans`
(migration, bench seeding).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection

from support.models import Ticket

# %(tickets)s: a query giving (id, tenant_id, channel, created_at) of the tickets to derive.
_SPANS_SQL = """
    WITH tickets AS ({tickets}),
    changes AS (
        SELECT sc.ticket_id, sc.changed_at, sc.id, sc.status NOT IN ('resolved', 'closed') AS is_open
        FROM support_ticketstatuschange sc JOIN tickets t ON t.id = sc.ticket_id
        WHERE sc.tenant_id = %(tenant_id)s
    ),
    flips AS (  -- the changes that flip openness; the history starts open (status new)
        SELECT ticket_id, changed_at, id, is_open FROM (
            SELECT c.*, lag(c.is_open, 1, true) OVER (PARTITION BY c.ticket_id ORDER BY c.changed_at, c.id) AS was_open
            FROM changes c
        ) x WHERE is_open <> was_open
    ),
    bounds AS (
        SELECT t.id AS ticket_id, '-infinity'::timestamptz AS at, 0::bigint AS id, true AS is_open FROM tickets t
        UNION ALL SELECT ticket_id, changed_at, id, is_open FROM flips
    ),
    runs AS (
        SELECT ticket_id, at AS run_start, is_open,
               lead(at) OVER (PARTITION BY ticket_id ORDER BY at, id) AS run_end
        FROM bounds
    )
    INSERT INTO support_ticketopenspan (tenant_id, ticket_id, channel, opened_at, closed_at)
    SELECT t.tenant_id, t.id, t.channel, GREATEST(r.run_start, t.created_at), r.run_end
    FROM runs r JOIN tickets t ON t.id = r.ticket_id
    WHERE r.is_open AND (r.run_end IS NULL OR r.run_end > GREATEST(r.run_start, t.created_at))
"""


def refresh_open_spans(ticket: Ticket) -> None:
    """Re-derive one ticket's spans from its in-memory ``created_at`` / ``channel`` (which may not be saved
    yet) and its status rows. Call inside the transaction that changed them, ticket locked."""
    tickets = "SELECT %(ticket_id)s::bigint, %(tenant_id)s::bigint, %(channel)s::text, %(created_at)s::timestamptz"
    params = {"ticket_id": ticket.pk, "tenant_id": ticket.tenant_id, "channel": ticket.channel,
              "created_at": ticket.created_at}
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM support_ticketopenspan WHERE tenant_id = %(tenant_id)s"
                       " AND ticket_id = %(ticket_id)s", params)
        one = f"SELECT * FROM ({tickets}) t(id, tenant_id, channel, created_at)"  # noqa: S608 (ours)
        cursor.execute(_SPANS_SQL.format(tickets=one), params)  # noqa: S608 (our fragments; values are parameters)


def rebuild_open_spans(tenant_id: int) -> int:
    """Re-derive every span of a tenant, set-based; returns the number of spans."""
    tickets = ("SELECT id, tenant_id, channel, created_at FROM support_ticket WHERE tenant_id = %(tenant_id)s")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM support_ticketopenspan WHERE tenant_id = %(tenant_id)s", {"tenant_id": tenant_id})
        cursor.execute(_SPANS_SQL.format(tickets=tickets), {"tenant_id": tenant_id})  # noqa: S608 (our fragments)
        return cursor.rowcount


def backlog_at(tenant_id: int, instants: list[dt.datetime], by_channel: bool = False) -> dict[tuple, int]:
    """``{(instant, channel or None): open tickets}`` at each instant, in one query.

    Each span adds +1 from its ``opened_at`` and -1 from its ``closed_at``, bucketed by how many of the
    (sorted) instants are <= that time, so ``backlog(instants[k])`` is the sum of buckets 0..k. Spans closed
    before the earliest instant add nothing at any instant asked and are not read. Groups with no open
    ticket at an instant are absent (read them as 0)."""
    ends = sorted(set(instants))
    if not ends:
        return {}
    key = "channel" if by_channel else "NULL::text"
    # One scan: spans counted per (bucket of opened_at, bucket of closed_at); +1 and -1 folded in below.
    sql = f"""
        SELECT width_bucket(opened_at, %(ends)s::timestamptz[]),
               CASE WHEN closed_at IS NOT NULL THEN width_bucket(closed_at, %(ends)s::timestamptz[]) END,
               {key}, COUNT(*)
        FROM support_ticketopenspan
        WHERE tenant_id = %(tenant_id)s AND opened_at < %(last)s AND (closed_at IS NULL OR closed_at >= %(first)s)
        GROUP BY 1, 2, 3"""  # noqa: S608 (the key fragment is ours; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ends": ends, "tenant_id": tenant_id, "first": ends[0], "last": ends[-1]})
        buckets = cursor.fetchall()
    deltas: dict[str | None, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for opened_bucket, closed_bucket, k, n in buckets:
        deltas[k][opened_bucket] += n
        if closed_bucket is not None:
            deltas[k][closed_bucket] -= n
    out: dict[tuple, int] = {}
    for k, by_bucket in deltas.items():
        running = 0
        for index, end in enumerate(ends):
            running += by_bucket.get(index, 0)
            if running:
                out[(end, k)] = running
    return out
