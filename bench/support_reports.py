"""Benchmark: the support report (support.reports) over 300k tickets / 1M interactions in one tenant.

Prints figures (one JSON object per line, progress bars on stderr); it is not a timed test. Runs against
``DATABASE_URL`` in a scratch tenant (``America/Los_Angeles``, fiscal year from January) that it removes
at the end unless ``--keep``; ``--reuse`` times an existing scratch tenant without seeding it again::

    python -m cs_platform.db.roles postgres://postgres@127.0.0.1:5432/postgres  # the two roles, once
    createdb -h 127.0.0.1 -U postgres -O cs_owner cs_bench_reports
    export DATABASE_URL=postgres://cs_app@127.0.0.1:5432/cs_bench_reports
    export DATABASE_OWNER_URL=postgres://cs_owner@127.0.0.1:5432/cs_bench_reports
    DEBUG=1 .venv/bin/python manage.py migrate -v0
    .venv/bin/python bench/support_reports.py --tickets 300000 --interactions 1000000

As ``cs_app`` every query runs under row-level security, as in production; as a superuser (which no
policy binds) the same command measures without it (README "Benchmarks", "Row-level security").

Seeding is set-based SQL (``INSERT ... SELECT`` over ``generate_series`` and ``random()``), not the
per-ticket services: 2 teams x 10 agents, 200 accounts x 10 contacts, tickets created over the last ~14
months on a realistic channel mix (email, chat, phone, social, in-app, web, messaging); per ticket an
opening contact interaction (chats and calls queued / answered / ended, ~5% abandoned), bot greetings,
agent replies (with explicit handle times on written channels), internal notes and customer follow-ups;
assignment history (some reassigned), status history (most resolved, some reopened, some closed), SLA
policy on ~60% of tickets, weekday shifts and online sessions for every agent, monthly costs per team.
The denormalized ticket columns (status, assignee, resolved_at, last_resolved_at, resolved_assignee,
first_response_at, first_responder) are then computed from those rows with ``UPDATE ... FROM`` by the rules
of support.records.services.tickets. Interactions per ticket are scaled so the total is close to
``--interactions``.

Then each report is timed (best of ``--repeat``, with its query count and slowest query); any report
slower than 1 s gets ``EXPLAIN (ANALYZE, BUFFERS)`` of its slowest queries written to ``--explain-out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import Membership, Role, Tenant  # noqa: E402
from accounts.services.tenants import create_api_key, create_tenant, delete_tenants  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402
from support.records.backlog import rebuild_open_spans  # noqa: E402
from support.reports.periods import next_month  # noqa: E402
from support.reports.selectors import support_report, team_months, ytd_by_month  # noqa: E402

SLUG = "bench-support-reports"
ZONE = "America/Los_Angeles"
DAYS = 425  # ~14 months
SLOW_MS = 1000


def run(sql: str, params: list | tuple = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params: list | tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# ------------------------------------------------------------------------------------------- seeding

# One row per ticket with every random draw and the derived timestamps of its story. Chains of events are
# monotonic in time, so "only what happened before now" is a plain ``< now()`` filter on each row.
PLAN = """
CREATE TEMP TABLE bench_plan ON COMMIT PRESERVE ROWS AS
WITH arrs AS (
    SELECT (SELECT array_agg(id ORDER BY id) FROM accounts_contact WHERE tenant_id = %(t)s) AS contacts,
           (SELECT array_agg(id ORDER BY id) FROM support_agent WHERE tenant_id = %(t)s) AS agents
), base AS (
    SELECT g AS n, now() - interval '1 hour' - random() * interval '{days} days' AS created_at,
           random() AS r_ch, random() AS r_ab, random() AS r_bot, random() AS r_note, random() AS r_fu1,
           random() AS r_fu2, random() AS r_res, random() AS r_reopen, random() AS r_close, random() AS r_reassign,
           random() AS r_sla, random() AS r_reply1, random() AS r_pending, random() AS r_hs,
           arrs.contacts[1 + floor(random() * cardinality(arrs.contacts))::int] AS contact_id,
           arrs.agents[1 + floor(random() * cardinality(arrs.agents))::int] AS agent1,
           arrs.agents[1 + floor(random() * cardinality(arrs.agents))::int] AS agent2,
           5 + 600 * random() ^ 2 AS wait_s, 60 + 1500 * random() AS talk_s,
           -ln(1 - random()) * 4 * 3600 AS reply1_s, 3600 + random() * 47 * 3600 AS fu1_gap,
           -ln(1 - random()) * 3 * 3600 AS reply2_s, 3600 + random() * 24 * 3600 AS fu2_gap,
           -ln(1 - random()) * 3 * 3600 AS reply3_s, 600 + random() * 24 * 3600 AS resolve_gap,
           3600 + random() * 72 * 3600 AS reopen_gap, 600 + random() * 48 * 3600 AS reresolve_gap,
           60 + random() * 12 * 3600 AS reassign_gap, 60 + 840 * random() AS handle_s
    FROM generate_series(1, %(n)s) g, arrs
), s1 AS (
    SELECT b.*, CASE WHEN r_ch < 0.38 THEN 'email' WHEN r_ch < 0.60 THEN 'chat' WHEN r_ch < 0.75 THEN 'phone'
                     WHEN r_ch < 0.83 THEN 'social' WHEN r_ch < 0.93 THEN 'in_app' WHEN r_ch < 0.97 THEN 'web'
                     ELSE 'messaging' END AS channel
    FROM base b
), s2 AS (
    SELECT s1.*, channel IN ('chat', 'phone') AS live, channel IN ('chat', 'phone') AND r_ab < 0.05 AS abandoned
    FROM s1
), s3 AS (
    SELECT s2.*,
           CASE WHEN live AND NOT abandoned THEN created_at + wait_s * interval '1 second' END AS answered_at,
           CASE WHEN live THEN created_at + (wait_s + CASE WHEN abandoned THEN 0 ELSE talk_s END)
                               * interval '1 second' END AS ended_at,
           CASE WHEN NOT live AND r_reply1 < 0.93 THEN created_at + reply1_s * interval '1 second' END AS reply1_at
    FROM s2
), s4 AS (
    SELECT s3.*, CASE WHEN r_fu1 < 0.55 AND NOT abandoned
                      THEN COALESCE(reply1_at, ended_at, created_at) + fu1_gap * interval '1 second' END AS fu1_at
    FROM s3
), s5 AS (
    SELECT s4.*, CASE WHEN fu1_at IS NOT NULL AND r_fu1 < 0.50 THEN fu1_at + reply2_s * interval '1 second' END
                 AS reply2_at
    FROM s4
), s6 AS (
    SELECT s5.*, CASE WHEN reply2_at IS NOT NULL AND r_fu2 < 0.35 THEN reply2_at + fu2_gap * interval '1 second' END
                 AS fu2_at
    FROM s5
), s7 AS (
    SELECT s6.*, CASE WHEN fu2_at IS NOT NULL AND r_fu2 < 0.32 THEN fu2_at + reply3_s * interval '1 second' END
                 AS reply3_at
    FROM s6
), s8 AS (
    SELECT s7.*, CASE WHEN r_res < 0.93 THEN GREATEST(created_at, ended_at, reply1_at, fu1_at, reply2_at, fu2_at,
                                                      reply3_at) + resolve_gap * interval '1 second' END AS resolved1_at
    FROM s7
), s9 AS (
    SELECT s8.*, CASE WHEN resolved1_at IS NOT NULL AND r_reopen < 0.08
                      THEN resolved1_at + reopen_gap * interval '1 second' END AS reopen_at
    FROM s8
), s10 AS (
    SELECT s9.*, CASE WHEN reopen_at IS NOT NULL AND r_reopen < 0.07
                      THEN reopen_at + reresolve_gap * interval '1 second' END AS resolved2_at
    FROM s9
)
SELECT s10.*,
       CASE WHEN r_close < 0.4 AND COALESCE(resolved2_at, CASE WHEN reopen_at IS NULL THEN resolved1_at END)
                 IS NOT NULL
            THEN COALESCE(resolved2_at, resolved1_at) + interval '4 days' END AS closed_at,
       CASE WHEN r_reassign < 0.10 THEN created_at + reassign_gap * interval '1 second' END AS reassign_at,
       (SELECT team_id FROM support_agent a WHERE a.id = agent1) AS team1
FROM s10
"""

# (slot, share of tickets it applies to is decided by the plan; SQL of the row)
# Columns: ticket_id, slot, channel, direction, author_type, agent_id, contact_id, is_internal, started_at,
# queued_at, answered_at, ended_at, handle_seconds, queue_team_id
_WRITTEN = "CASE WHEN p.live THEN 'email' ELSE p.channel END"
SLOTS = {
    "opening contact interaction": """
        SELECT p.ticket_id, 0, p.channel, 'inbound', 'contact',
               CASE WHEN p.answered_at IS NOT NULL THEN p.agent1 END, p.contact_id, false, p.created_at,
               CASE WHEN p.live THEN p.created_at END, p.answered_at, p.ended_at, NULL::double precision,
               CASE WHEN p.live THEN p.team1 END
        FROM bench_plan p WHERE true""",
    "bot greetings": """
        SELECT p.ticket_id, 1, p.channel, 'outbound', 'bot', NULL::bigint, p.contact_id, false,
               p.created_at + interval '2 seconds', NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               NULL::double precision, NULL::bigint
        FROM bench_plan p WHERE p.channel IN ('chat', 'in_app', 'social', 'messaging') AND p.r_bot < {bot}""",
    "first agent replies": """
        SELECT p.ticket_id, 2, {written}, 'outbound', 'agent', p.agent1, p.contact_id, false, p.reply1_at,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               CASE WHEN p.r_hs < 0.7 THEN p.handle_s END, NULL::bigint
        FROM bench_plan p WHERE p.reply1_at IS NOT NULL""",
    "internal notes": """
        SELECT p.ticket_id, 3, p.channel, 'outbound', 'agent', p.agent1, NULL::bigint, true,
               p.created_at + interval '20 minutes', NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               NULL::double precision, NULL::bigint
        FROM bench_plan p WHERE p.r_note < {note}""",
    "customer follow-ups": """
        SELECT p.ticket_id, 4, {written}, 'inbound', 'contact', NULL::bigint, p.contact_id, false, p.fu1_at,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::double precision, NULL::bigint
        FROM bench_plan p WHERE p.fu1_at IS NOT NULL""",
    "second agent replies": """
        SELECT p.ticket_id, 5, {written}, 'outbound', 'agent',
               CASE WHEN p.reassign_at < p.reply2_at THEN p.agent2 ELSE p.agent1 END, p.contact_id, false,
               p.reply2_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               CASE WHEN p.r_hs < 0.7 THEN p.handle_s END, NULL::bigint
        FROM bench_plan p WHERE p.reply2_at IS NOT NULL""",
    "second follow-ups": """
        SELECT p.ticket_id, 6, {written}, 'inbound', 'contact', NULL::bigint, p.contact_id, false, p.fu2_at,
               NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::double precision, NULL::bigint
        FROM bench_plan p WHERE p.fu2_at IS NOT NULL""",
    "third agent replies": """
        SELECT p.ticket_id, 7, {written}, 'outbound', 'agent',
               CASE WHEN p.reassign_at < p.reply3_at THEN p.agent2 ELSE p.agent1 END, p.contact_id, false,
               p.reply3_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               CASE WHEN p.r_hs < 0.7 THEN p.handle_s END, NULL::bigint
        FROM bench_plan p WHERE p.reply3_at IS NOT NULL""",
    "system events": """
        SELECT p.ticket_id, 8, p.channel, 'outbound', 'system', NULL::bigint, NULL::bigint, false,
               p.resolved1_at, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz,
               NULL::double precision, NULL::bigint
        FROM bench_plan p WHERE p.resolved1_at IS NOT NULL AND p.r_close < {system}""",
}
# Rows per ticket (measured): 2.93 from the fixed slots, 0.74 from the optional ones at these base rates, which
# are scaled so that the total per ticket is --interactions / --tickets (3.33 by default: factor 0.54).
RATES = {"bot": 0.5, "note": 0.25, "system": 0.3}
FIXED_PER_TICKET, OPTIONAL_PER_TICKET = 2.93, 0.74

STATUS_ROWS = [
    ("open", "p.created_at + interval '1 second'", "true"),
    ("pending", "p.reply1_at", "p.reply1_at IS NOT NULL AND p.r_pending < 0.3"),
    ("resolved", "p.resolved1_at", "p.resolved1_at IS NOT NULL"),
    ("open", "p.reopen_at", "p.reopen_at IS NOT NULL"),
    ("resolved", "p.resolved2_at", "p.resolved2_at IS NOT NULL"),
    ("closed", "p.closed_at", "p.closed_at IS NOT NULL"),
]

DERIVE = [
    ("status", """
        UPDATE support_ticket t SET status = x.status FROM (
            SELECT DISTINCT ON (ticket_id) ticket_id, status FROM support_ticketstatuschange
            WHERE tenant_id = %(t)s ORDER BY ticket_id, changed_at DESC, id DESC
        ) x WHERE t.tenant_id = %(t)s AND t.id = x.ticket_id"""),
    ("resolved_at, last_resolved_at", """
        UPDATE support_ticket t SET resolved_at = x.first, last_resolved_at = x.last FROM (
            SELECT ticket_id, MIN(changed_at) AS first, MAX(changed_at) AS last FROM support_ticketstatuschange
            WHERE tenant_id = %(t)s AND status = 'resolved' GROUP BY ticket_id
        ) x WHERE t.tenant_id = %(t)s AND t.id = x.ticket_id"""),
    ("assignee", """
        UPDATE support_ticket t SET assignee_id = x.agent_id, team_id = a.team_id FROM (
            SELECT DISTINCT ON (ticket_id) ticket_id, agent_id FROM support_ticketassignment
            WHERE tenant_id = %(t)s ORDER BY ticket_id, assigned_at DESC, id DESC
        ) x JOIN support_agent a ON a.id = x.agent_id WHERE t.tenant_id = %(t)s AND t.id = x.ticket_id"""),
    ("resolved_assignee", """
        UPDATE support_ticket t SET resolved_assignee_id = x.agent_id FROM (
            SELECT DISTINCT ON (s.ticket_id) s.ticket_id, s.agent_id FROM support_ticketassignment s
            JOIN support_ticket tt ON tt.id = s.ticket_id AND s.assigned_at <= tt.resolved_at
            WHERE s.tenant_id = %(t)s ORDER BY s.ticket_id, s.assigned_at DESC, s.id DESC
        ) x WHERE t.tenant_id = %(t)s AND t.id = x.ticket_id"""),
    ("first_response_at, first_responder", """
        WITH first_in AS (
            SELECT DISTINCT ON (ticket_id) ticket_id, started_at, channel, answered_at, agent_id
            FROM support_interaction WHERE tenant_id = %(t)s AND direction = 'inbound' AND author_type = 'contact'
                 AND NOT is_internal
            ORDER BY ticket_id, started_at, id
        ), reply AS (
            SELECT DISTINCT ON (i.ticket_id) i.ticket_id, i.started_at AS at, i.agent_id, 1 AS pref
            FROM support_interaction i JOIN first_in f ON f.ticket_id = i.ticket_id AND i.started_at >= f.started_at
            WHERE i.tenant_id = %(t)s AND i.direction = 'outbound' AND i.author_type = 'agent' AND NOT i.is_internal
            ORDER BY i.ticket_id, i.started_at, i.id
        ), candidates AS (
            SELECT ticket_id, at, agent_id, pref FROM reply
            UNION ALL
            SELECT ticket_id, answered_at, agent_id, 0 FROM first_in
            WHERE channel IN ('chat', 'phone') AND answered_at IS NOT NULL
        )
        UPDATE support_ticket t SET first_response_at = x.at, first_responder_id = x.agent_id FROM (
            SELECT DISTINCT ON (ticket_id) ticket_id, at, agent_id FROM candidates ORDER BY ticket_id, at, pref
        ) x WHERE t.tenant_id = %(t)s AND t.id = x.ticket_id"""),
]


def seed(tenant: Tenant, n_tickets: int, n_interactions: int) -> dict:
    t = tenant.pk
    start = time.perf_counter()
    people = tqdm(total=6, desc="seed: teams, agents, accounts, contacts, SLA", file=sys.stderr)
    with transaction.atomic():
        run("""INSERT INTO support_team (tenant_id, name, created_at)
               SELECT %s, 'Team ' || g, now() FROM generate_series(1, 2) g""", [t])
        people.update()
        run("""INSERT INTO support_agent (tenant_id, email, name, team_id, is_active, created_at, updated_at)
               SELECT %s, 'agent' || g || '@bench.test', 'Agent ' || g,
                      (SELECT id FROM support_team WHERE tenant_id = %s ORDER BY id OFFSET (g - 1) / 10 LIMIT 1),
                      true, now(), now()
               FROM generate_series(1, 20) g""", [t, t])
        people.update()
        run("""INSERT INTO accounts_customeraccount (tenant_id, external_id, name, domain, plan, tier, arr, seats,
                   lifecycle_stage, created_at, updated_at)
               SELECT %s, 'acc-' || g, 'Company ' || g, 'c' || g || '.example.com', 'growth',
                      CASE WHEN g %% 5 = 0 THEN 'premium' ELSE 'standard' END, 10000 + g * 100, 20, 'adoption',
                      now(), now()
               FROM generate_series(1, 200) g""", [t])
        people.update()
        run("""INSERT INTO accounts_contact (tenant_id, external_id, account_id, email, phone, name, persona,
                   knowledge_level, created_at, updated_at)
               SELECT %s, 'u-' || a.external_id || '-' || c, a.id, 'u' || c || '@' || a.domain, '', 'Person ' || c,
                      'end_user', 'beginner', now(), now()
               FROM accounts_customeraccount a, generate_series(1, 10) c WHERE a.tenant_id = %s""", [t, t])
        people.update()
        run("""INSERT INTO support_slapolicy (tenant_id, name, tier, priority, first_response_seconds,
                   next_response_seconds, resolution_seconds, is_active, created_at)
               VALUES (%s, 'Bench 4h', '', '', 14400, 28800, 172800, true, now())""", [t])
        people.update()
        run("ANALYZE accounts_contact; ANALYZE support_agent")
        people.update()
    people.close()

    with transaction.atomic():
        bar = tqdm(total=4, desc="seed: ticket plans, tickets, assignments", file=sys.stderr)
        run("DROP TABLE IF EXISTS bench_plan")
        run(PLAN.format(days=DAYS), {"t": t, "n": n_tickets})
        bar.update()
        run("""INSERT INTO support_ticket (tenant_id, external_id, account_id, contact_id, channel, subject, priority,
                   status, created_at, assignee_id, team_id, sla_policy_id, first_response_due_at,
                   self_service_suggested, updated_at)
               SELECT %(t)s, 'bt-' || p.n, c.account_id, p.contact_id, p.channel, 'Question ' || p.n,
                      CASE WHEN p.r_pending < 0.1 THEN 'high' ELSE 'normal' END, 'new', p.created_at, p.agent1, p.team1,
                      CASE WHEN p.r_sla < 0.6 THEN (SELECT id FROM support_slapolicy WHERE tenant_id = %(t)s) END,
                      CASE WHEN p.r_sla < 0.6 THEN p.created_at + interval '4 hours' END, false, now()
               FROM bench_plan p JOIN accounts_contact c ON c.id = p.contact_id ORDER BY p.created_at""", {"t": t})
        run("""ALTER TABLE bench_plan ADD COLUMN ticket_id bigint;
               UPDATE bench_plan p SET ticket_id = t.id FROM support_ticket t
               WHERE t.tenant_id = %(t)s AND t.external_id = 'bt-' || p.n;
               ANALYZE bench_plan""", {"t": t})
        bar.update()
        run("""INSERT INTO support_ticketassignment (tenant_id, ticket_id, agent_id, assigned_at, created_at)
               SELECT %(t)s, p.ticket_id, p.agent1, p.created_at, now() FROM bench_plan p
               UNION ALL
               SELECT %(t)s, p.ticket_id, p.agent2, p.reassign_at, now() FROM bench_plan p
               WHERE p.reassign_at IS NOT NULL AND p.reassign_at < now()""", {"t": t})
        bar.update()
        rows = "\nUNION ALL\n".join(
            f"SELECT %(t)s, p.ticket_id, '{status}', {at}, p.agent1, now() FROM bench_plan p "  # noqa: S608
            f"WHERE {cond} AND {at} < now()" for status, at, cond in STATUS_ROWS)
        run(f"INSERT INTO support_ticketstatuschange (tenant_id, ticket_id, status, changed_at, agent_id, created_at) "
            f"{rows}", {"t": t})
        bar.update()
        bar.close()

        # Scale the optional slots so that the total is close to the interactions asked for.
        factor = max(0.0, min(2.0, (n_interactions / n_tickets - FIXED_PER_TICKET) / OPTIONAL_PER_TICKET))
        rates = {k: min(1.0, v * factor) for k, v in RATES.items()}
        for select in tqdm(SLOTS.values(), desc="seed: interactions", file=sys.stderr):
            run(f"""INSERT INTO support_interaction (tenant_id, external_id, ticket_id, channel, direction, author_type,
                        agent_id, contact_id, is_internal, body, started_at, queued_at, answered_at, ended_at,
                        handle_seconds, queue_team_id, created_at)
                    SELECT %(t)s, 'bi-' || x.ticket_id || '-' || x.slot, x.ticket_id, x.channel, x.direction,
                           x.author_type, x.agent_id, x.contact_id, x.is_internal, '', x.started_at, x.queued_at,
                           x.answered_at, x.ended_at, x.handle_seconds, x.queue_team_id, now()
                    FROM ({select.format(written=_WRITTEN, **rates)} AND p.ticket_id IS NOT NULL)
                         AS x(ticket_id, slot, channel,
                         direction, author_type, agent_id, contact_id, is_internal, started_at, queued_at,
                         answered_at, ended_at, handle_seconds, queue_team_id)
                    WHERE x.started_at < now()
                    ORDER BY x.started_at""", {"t": t})  # noqa: S608 (fragments are ours)

        # The new rows are not visible to autovacuum yet: without statistics the planner takes the tables
        # for empty and nests loops over 300k x 300k rows.
        run("ANALYZE support_ticket; ANALYZE support_interaction; ANALYZE support_ticketstatuschange; "
            "ANALYZE support_ticketassignment")
        for _label, sql in tqdm(DERIVE, desc="seed: ticket columns from history", file=sys.stderr):
            run(sql, {"t": t})
        rebuild_open_spans(t)  # the backlog's spans, by the same derivation the services use

        bar = tqdm(total=2, desc="seed: shifts and sessions, costs", file=sys.stderr)
        # Weekday shifts 08:00-16:30 tenant-local; two online stretches around a lunch break; ~5% absent days.
        run(f"""
            CREATE TEMP TABLE bench_days ON COMMIT DROP AS
            SELECT a.id AS agent_id, (d::date + time '08:00') AT TIME ZONE '{ZONE}' AS shift_start, random() AS r1,
                   random() AS r2, random() AS r3, random() AS r4, random() AS absent
            FROM support_agent a,
                 generate_series((now() AT TIME ZONE '{ZONE}')::date - {DAYS}, (now() AT TIME ZONE '{ZONE}')::date,
                                 interval '1 day') d
            WHERE a.tenant_id = %(t)s AND extract(isodow FROM d) < 6;
            INSERT INTO support_agentsession (tenant_id, agent_id, kind, started_at, ended_at, created_at)
            SELECT %(t)s, agent_id, 'scheduled', shift_start, shift_start + interval '8.5 hours', now()
            FROM bench_days WHERE shift_start < now()
            UNION ALL
            SELECT %(t)s, agent_id, 'online', s, CASE WHEN e < now() THEN e END, now() FROM (
                SELECT agent_id, shift_start + (r1 * 20 - 5) * interval '1 minute' AS s,
                       shift_start + interval '4 hours' + r2 * interval '10 minutes' AS e FROM bench_days
                WHERE absent > 0.05
                UNION ALL
                SELECT agent_id, shift_start + interval '4.5 hours' + r3 * interval '10 minutes',
                       shift_start + interval '8.5 hours' + (r4 * 40 - 20) * interval '1 minute' FROM bench_days
                WHERE absent > 0.05
            ) x WHERE s < now()""", {"t": t})  # noqa: S608 (constants)
        bar.update()
        run(f"""INSERT INTO support_supportcost (tenant_id, month, team_id, amount, currency, note, created_at)
                SELECT %(t)s, m::date, tm.id, round((40000 + random() * 20000)::numeric, 2), 'USD', '', now()
                FROM generate_series(date_trunc('month', (now() AT TIME ZONE '{ZONE}')::date - {DAYS}),
                                     date_trunc('month', now() AT TIME ZONE '{ZONE}'), interval '1 month') m,
                     support_team tm
                WHERE tm.tenant_id = %(t)s""", {"t": t})  # noqa: S608 (constants)
        bar.update()
        bar.close()
        run("DROP TABLE bench_plan")
    return {"what": "seed", "seconds": round(time.perf_counter() - start, 1)}


def vacuum_and_count(tenant: Tenant, figures: dict) -> dict:
    """VACUUM cannot run in a transaction, so it runs outside the tenant scope (which would open one)."""
    for table in tqdm(["support_ticket", "support_interaction", "support_ticketstatuschange",
                       "support_ticketassignment", "support_agentsession", "support_supportcost",
                       "support_ticketopenspan"],
                      desc="seed: VACUUM ANALYZE", file=sys.stderr):
        run(f"VACUUM (ANALYZE) {table}")
    with tenant_scope(tenant):
        for table in ("support_ticket", "support_interaction", "support_ticketstatuschange",
                      "support_ticketassignment", "support_agentsession", "support_supportcost",
                      "support_ticketopenspan"):
            figures[table] = scalar(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
    return figures


def remove(tenant: Tenant) -> None:
    """Bulk-delete the big tables first (the ORM's cascade would load 1M rows), then the tenant (its
    cascade under the row-level security bypass, accounts.services.tenants.delete_tenants)."""
    with transaction.atomic(), tenant_scope(tenant):
        for table in ("support_interaction", "support_ticketstatuschange", "support_ticketassignment",
                      "support_slaevent", "support_ticketopenspan", "support_ticket", "support_agentsession",
                      "support_supportcost"):
            run(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
    delete_tenants(pks=[tenant.pk])


# ------------------------------------------------------------------------------------------- timing


def family(sql: str) -> str:
    """Which family of facts a report query is: its main table and the column the period filters on."""
    match = re.search(r"FROM (support_\w+) \w+ .*?WHERE \w+\.tenant_id = \S+ AND \(?(\w+\.\w+)", sql, re.S)
    return f"{match.group(1)} by {match.group(2)}" if match else " ".join(sql.split())[:60]


def timed(label: str, func, repeat: int, slow: list) -> dict:
    """Best of ``repeat`` as served (independent report queries two at a time, cs_platform.parallel_reads),
    then one run with them one after another on this connection, to count the queries and find the
    slowest (the parallel ones run on other connections, out of CaptureQueriesContext's sight)."""
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        ms = (time.perf_counter() - start) * 1000
        best = ms if best is None else min(best, ms)
    threads = settings.READ_THREADS
    settings.READ_THREADS = 1
    try:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            func()
            serial_ms = (time.perf_counter() - start) * 1000
    finally:
        settings.READ_THREADS = threads
    worst = max(queries.captured_queries, key=lambda q: float(q["time"]))
    row = {"what": label, "ms": round(best, 1), "serial_ms": round(serial_ms, 1),
           "queries": len(queries.captured_queries), "slowest_query_ms": round(float(worst["time"]) * 1000, 1),
           "slowest_query": family(worst["sql"])}
    if best >= SLOW_MS:
        slow.append((label, list(queries.captured_queries)))
    print(json.dumps(row), flush=True)
    return row


def explain(slow: list, out: Path) -> None:
    seen: set[str] = set()
    with out.open("w") as f, connection.cursor() as cursor:
        for label, queries in slow:
            for q in sorted(queries, key=lambda q: -float(q["time"]))[:4]:
                if float(q["time"]) < 0.2 or not q["sql"].lstrip().upper().startswith(("WITH", "SELECT")):
                    continue
                key = " ".join(q["sql"].split())
                if key in seen:
                    continue
                seen.add(key)
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                plan = "\n".join(r[0] for r in cursor.fetchall())
                f.write(f"==== {label}: {float(q['time']) * 1000:.0f} ms\n{q['sql']}\n\n{plan}\n\n")
    print(json.dumps({"what": "explain", "file": str(out), "queries": len(seen)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is printed")
    parser.add_argument("--keep", action="store_true", help="keep the scratch tenant")
    parser.add_argument("--reuse", action="store_true", help="skip seeding when the scratch tenant exists")
    parser.add_argument("--explain-out", type=Path, default=Path(tempfile.gettempdir()) / "support_reports_explain.txt")
    args = parser.parse_args()

    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is not None and not args.reuse:
        remove(tenant)
        tenant = None
    if tenant is None:
        tenant = create_tenant(slug=SLUG, name="Support reports benchmark", admin_email=f"admin@{SLUG}.test",
                               timezone_name=ZONE, fiscal_year_start_month=1)
        # As the owner: it alone may create the scratch table, ANALYZE and VACUUM; row-level security binds it
        # too (FORCE), so the rows are written in the tenant's scope.
        with connection.as_owner():
            with tenant_scope(tenant):
                figures = seed(tenant, args.tickets, args.interactions)
            print(json.dumps(vacuum_and_count(tenant, figures)), flush=True)
    try:
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(tenant.zone).date()
        this_month = today.replace(day=1)
        last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
        ytd_from, ytd_to = dt.date(today.year, 1, 1), next_month(this_month)
        slow: list = []
        with tenant_scope(tenant):
            _, raw_key = create_api_key(tenant=tenant, name="bench", scopes=["read"])

            def report(date_from: dt.date, date_to: dt.date, group_by: str):
                return lambda: support_report(tenant=tenant, date_from=date_from, date_to=date_to,
                                              group_by=group_by, now=now)

            timed("support_report this month", report(this_month, next_month(this_month), "none"), args.repeat, slow)
            timed("support_report last month", report(last_month, this_month, "none"), args.repeat, slow)
            for group_by in ("none", "agent", "team", "channel", "month"):
                timed(f"support_report YTD group_by={group_by}", report(ytd_from, ytd_to, group_by), args.repeat,
                      slow)
            timed("ytd_by_month", lambda: ytd_by_month(tenant=tenant, today=today, now=now), args.repeat, slow)
        api = Client(headers={"Authorization": f"Bearer {raw_key}"})
        path = f"/api/v1/reports/support?from={ytd_from}&to={ytd_to}&group_by=month"

        def http() -> None:
            response = api.get(path)
            assert response.status_code == 200, response.content[:300]

        http()  # warm the URL resolver and the key lookup
        timed("HTTP GET /api/v1/reports/support YTD group_by=month", http, args.repeat, slow)
        with tenant_scope(tenant):
            timed("team_months (YTD)", lambda: team_months(tenant=tenant, date_from=ytd_from, date_to=ytd_to, now=now),
                  args.repeat, slow)
            admin = Membership.objects.filter(tenant=tenant, role=Role.ADMIN).select_related("user").first().user
        page = Client()
        page.force_login(admin)
        for name, query in [("report-agents", "period=ytd"), ("report-teams", "period=ytd"),
                            ("report-management", "period=this_month")]:
            url = reverse(name, kwargs={"tenant_slug": SLUG}) + "?" + query

            def get(url: str = url) -> None:
                response = page.get(url)
                assert response.status_code == 200, response.content[:300]

            get()
            timed(f"page {name} ({query})", get, args.repeat, slow)
        if slow:
            explain(slow, args.explain_out)
    finally:
        if not args.keep:
            remove(tenant)


if __name__ == "__main__":
    main()
