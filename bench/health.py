"""Benchmark: the health-score recompute (issue 14 "Performance") against one sequential scan of the rollups.

Prints figures (one JSON object per line, progress bars on stderr); it is not a timed test. Runs against
``DATABASE_URL`` in two scratch tenants that it builds once and keeps (building 100k accounts takes minutes:
a later run reuses them; ``--rebuild`` drops and builds them again)::

    python -m cs_platform.db.roles postgres://postgres@127.0.0.1:5432/postgres  # the two roles, once
    createdb -h 127.0.0.1 -U postgres -O cs_owner cs_bench_health
    export DATABASE_URL=postgres://cs_app@127.0.0.1:5432/cs_bench_health
    export DATABASE_OWNER_URL=postgres://cs_owner@127.0.0.1:5432/cs_bench_health
    DEBUG=1 .venv/bin/python manage.py migrate -v0
    .venv/bin/python bench/health.py                      # 100k accounts / 10M events; 1,000 x 365 days
    .venv/bin/python bench/health.py --accounts 10000 --events 1000000   # a tenth, for iterating

The datasets (seeded as the schema owner in each tenant's scope, timed as ``cs_app`` under row-level
security, as in production):

- *wide* (``bench-health-<accounts>``): N accounts (seats 5-24, contract starts spread over ~2.5 years, five
  lifecycle stages, three tiers), 5 contacts each, and daily rollup rows worth ``--events`` events over the
  last 365 days (about 3 events per row, one row per account every ~11 days), written directly into
  ``health_usagedaily`` with ``INSERT ... SELECT`` (ingesting 10M events through the API takes longer than
  the whole benchmark and is measured by ``bench/ingest.py``); a 28-event catalog (14 features, 4
  categories, 3 value milestones); tickets (1 per 10 accounts, some high priority and still open, some with
  an SLA breach), NPS and CSAT answers (1 per 5 accounts each) and completed learning enrollments (a
  contact in 1 of 3 accounts), so every component family reads data;
- *history* (``bench-health-history-<accounts>``): ``--backfill-accounts`` accounts with 10 contacts each and
  ``--backfill-events`` events over 365 days (7 rows a day per account, ~4 events a row; 1 account in 7
  stops using the product 60 days ago), the same catalog and the same kinds of other data.

Then it times, each as printed:
(a) one sequential scan of the wide tenant's rollups (``count(*), sum(count)`` over ``health_usage_rollups``,
    index scans off, best of ``--repeat``: the floor any recompute that reads the rollups once must pay);
(b) the full one-day recompute of the wide tenant (``health.scores.services.recompute``, today), with the
    ratio to (a);
(c) the reads of (b) alone (``tenant_inputs_as_of``: every input family, no scoring, no writes), with the
    ratio to (a): what the database part costs, apart from the Python scoring of each account;
(d) the history backfill: every account of the history tenant x ``--backfill-days`` days ending today
    (``recompute`` of those days: blocks of days read in one pass, ``inputs_for_days``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# The recompute enqueues nothing, but a hook of another app might: keep it off any shared Redis.
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import CustomerAccount, Tenant  # noqa: E402
from accounts.services.tenants import create_tenant, delete_tenants  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402
from health.scores.inputs import tenant_inputs_as_of  # noqa: E402
from health.scores.models import HealthScore  # noqa: E402
from health.scores.services import TENANT_WORK_MEM, recompute  # noqa: E402

ZONE = "America/New_York"
HISTORY_DAYS = 365
CATEGORIES = ("collaboration", "reporting", "automation", "admin")


def run(sql: str, params: dict | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def scalar(sql: str, params: dict | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()


def emit(row: dict) -> None:
    print(json.dumps(row, default=str), flush=True)


# ------------------------------------------------------------------------------------------- seeding
# Every statement below runs in the tenant's scope with %(t)s = tenant id and %(today)s = its local today.

ACCOUNTS = """
INSERT INTO accounts_customeraccount (tenant_id, external_id, name, domain, plan, tier, arr, seats, contract_start,
                                      renewal_date, lifecycle_stage, created_at, updated_at)
SELECT %(t)s, 'acc-' || g, 'Account ' || g, '', 'pro', (ARRAY['smb', 'mid', 'enterprise'])[1 + g %% 3],
       1000 * (1 + g %% 50), 5 + g %% 20, %(today)s::date - (g * 7 %% 900), %(today)s::date + 1 + (g * 13 %% 365),
       (ARRAY['onboarding', 'adoption', 'mature', 'renewal', 'churned'])[1 + g %% 5], now(), now()
FROM generate_series(1, %(n)s) g
"""

CONTACTS = """
INSERT INTO accounts_contact (tenant_id, account_id, external_id, email, phone, name, persona, knowledge_level,
                              created_at, updated_at, language)
SELECT %(t)s, a.id, 'c-' || a.id || '-' || k, 'c' || a.id || '-' || k || '@bench.test', '', 'Contact ' || k,
       '', '', now(), now(), ''
FROM accounts_customeraccount a CROSS JOIN generate_series(0, %(k)s - 1) k
WHERE a.tenant_id = %(t)s
"""

CATALOG = """
INSERT INTO health_catalogentry (tenant_id, event_name, feature, category, is_value_milestone, created_at, updated_at)
SELECT %(t)s, 'event_' || e, 'feature_' || (e / 2), (%(categories)s::text[])[1 + e %% 4], e IN (3, 11, 19), now(), now()
FROM generate_series(0, 27) e
"""

# Wide: account a has one row every ~11 days (slot s, day today - 11 s - a %% 11: distinct days, so the unique
# key holds by construction), a random contact and event name, 1 to 5 events; ``slots`` scales to --events.
WIDE_ROLLUPS = """
WITH contacts AS (
    SELECT c.id, c.account_id, (row_number() OVER (PARTITION BY c.account_id ORDER BY c.id) - 1) AS k
    FROM accounts_contact c WHERE c.tenant_id = %(t)s
)
INSERT INTO health_usagedaily (tenant_id, account_id, contact_id, day, event_name, count)
SELECT %(t)s, c.account_id, c.id, %(today)s::date - (s * 11 + c.account_id %% 11)::int,
       'event_' || floor(random() * 28)::int, 1 + floor(random() * 5)::int
FROM generate_series(0, %(slots)s - 1) s
JOIN contacts c ON c.k = (s * 7 + c.account_id) %% 5
"""

# History: 7 rows per account and day, each a different contact ((a + d + 3 s) mod 10 is distinct for s < 7),
# ``per_row`` events on average; accounts with id %% 7 = 0 stop 60 days ago.
HISTORY_ROLLUPS = """
WITH contacts AS (
    SELECT c.id, c.account_id, (row_number() OVER (PARTITION BY c.account_id ORDER BY c.id) - 1) AS k
    FROM accounts_contact c WHERE c.tenant_id = %(t)s
)
INSERT INTO health_usagedaily (tenant_id, account_id, contact_id, day, event_name, count)
SELECT %(t)s, c.account_id, c.id, %(today)s::date - d, 'event_' || ((c.k * 5 + d + s) %% 28),
       1 + floor(random() * (2 * %(per_row)s - 1))::int
FROM generate_series(0, %(days)s - 1) d
CROSS JOIN generate_series(0, 6) s
JOIN contacts c ON c.k = (c.account_id + d + 3 * s) %% 10
WHERE NOT (c.account_id %% 7 = 0 AND d < 60)
"""

TICKETS = """
INSERT INTO support_ticket (tenant_id, external_id, channel, subject, priority, status, created_at, updated_at,
                            self_service_suggested, account_id, contact_id, tags)
SELECT %(t)s, 'bench-' || c.id, 'email', 'Help', (ARRAY['low', 'normal', 'high', 'urgent'])[1 + c.id %% 4],
       CASE WHEN c.id %% 3 = 0 THEN 'open' ELSE 'resolved' END,
       now() - (c.id %% 60) * interval '1 day' - interval '1 hour', now(), false, c.account_id, c.id, '{}'
FROM accounts_contact c
WHERE c.tenant_id = %(t)s AND c.account_id %% 10 = 0 AND c.id %% 5 = 0
"""

OPEN_SPANS = """
INSERT INTO support_ticketopenspan (tenant_id, ticket_id, channel, opened_at, closed_at)
SELECT %(t)s, tk.id, tk.channel, tk.created_at,
       CASE WHEN tk.status = 'open' THEN NULL ELSE tk.created_at + interval '2 days' END
FROM support_ticket tk WHERE tk.tenant_id = %(t)s AND tk.external_id LIKE 'bench-%%'
"""

BREACHES = """
INSERT INTO support_slaevent (tenant_id, ticket_id, kind, clock, due_at, created_at)
SELECT %(t)s, tk.id, 'breach', 'first_response', tk.created_at + interval '4 hours', now()
FROM support_ticket tk WHERE tk.tenant_id = %(t)s AND tk.external_id LIKE 'bench-%%' AND tk.id %% 4 = 0
"""

SURVEYS = """
INSERT INTO surveys_survey (tenant_id, kind, name, is_default, is_active, delay_hours, brand_colour,
                            default_language, created_at, updated_at)
VALUES (%(t)s, 'nps', 'Bench NPS', false, true, 0, '', 'en', now(), now()),
       (%(t)s, 'csat', 'Bench CSAT', false, true, 0, '', 'en', now(), now())
"""

ANSWERS = """
INSERT INTO surveys_surveyresponse (tenant_id, survey_id, account_id, contact_id, score, comment, followup_answer,
                                    submitted_at, language, source, created_at, updated_at)
SELECT %(t)s, s.id, c.account_id, c.id,
       CASE WHEN s.kind = 'nps' THEN c.id %% 11 ELSE 1 + c.id %% 5 END, '', '',
       now() - (c.id %% 120) * interval '1 day' - interval '1 hour', 'en', 'bench', now(), now()
FROM accounts_contact c CROSS JOIN surveys_survey s
WHERE c.tenant_id = %(t)s AND s.tenant_id = %(t)s AND s.name LIKE 'Bench %%'
  AND c.account_id %% 5 = 0 AND c.id %% 5 = 1
"""

PATH = """
WITH p AS (
    INSERT INTO learning_learningpath (tenant_id, name, description, is_required, priority, is_published, created_at,
                                       updated_at, slug, support_action)
    VALUES (%(t)s, 'Bench path', '', false, 1, true, now(), now(), 'bench-path', 'recommend') RETURNING id
)
INSERT INTO learning_pathversion (tenant_id, path_id, number, published_at, created_at)
SELECT %(t)s, p.id, 1, now(), now() FROM p RETURNING id, path_id
"""

ENROLLMENTS = """
INSERT INTO learning_enrollment (tenant_id, contact_id, path_id, version_id, status, enrolled_at, started_at,
                                 completed_at, source)
SELECT %(t)s, c.id, %(path)s, %(version)s, 'completed', now() - interval '200 days', now() - interval '199 days',
       now() - (c.id %% 180) * interval '1 day' - interval '1 hour', 'manual'
FROM accounts_contact c
WHERE c.tenant_id = %(t)s AND c.account_id %% 3 = 0 AND c.id %% 5 = 2
"""

TABLES = ("accounts_customeraccount", "accounts_contact", "health_catalogentry", "health_usagedaily",
          "support_ticket", "support_ticketopenspan", "support_slaevent", "surveys_survey",
          "surveys_surveyresponse", "learning_learningpath", "learning_pathversion", "learning_enrollment")


def seed(tenant: Tenant, *, accounts: int, contacts: int, rollups: tuple[str, dict]) -> None:
    today = dt.datetime.now(dt.UTC).astimezone(tenant.zone).date()
    p = {"t": tenant.pk, "today": today, "n": accounts, "k": contacts, "categories": list(CATEGORIES)}
    rollup_sql, rollup_params = rollups
    steps = [("accounts", ACCOUNTS, {}), ("contacts", CONTACTS, {}), ("catalog", CATALOG, {}),
             ("rollups", rollup_sql, rollup_params), ("tickets", TICKETS, {}), ("open spans", OPEN_SPANS, {}),
             ("SLA breaches", BREACHES, {}), ("surveys", SURVEYS, {}), ("answers", ANSWERS, {})]
    with connection.as_owner(), tenant_scope(tenant):
        for label, sql, extra in tqdm(steps, desc=f"seed {tenant.slug}", file=sys.stderr):
            with transaction.atomic():
                rows = run(sql, {**p, **extra})
            emit({"what": f"seeded {label}", "tenant": tenant.slug, "rows": rows})
        with transaction.atomic():
            version, path = scalar(PATH, p)
            rows = run(ENROLLMENTS, {**p, "path": path, "version": version})
        emit({"what": "seeded enrollments", "tenant": tenant.slug, "rows": rows})
    with connection.as_owner():  # VACUUM cannot run in a transaction, so outside the scope (which opens one)
        for table in tqdm(TABLES, desc="VACUUM ANALYZE", file=sys.stderr):
            run(f"VACUUM (ANALYZE) {table}")


def build(slug: str, name: str, rebuild: bool, seeder) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None and rebuild:
        with connection.as_owner(), transaction.atomic(), tenant_scope(tenant):  # the big table first
            run("DELETE FROM health_usagedaily WHERE tenant_id = %(t)s", {"t": tenant.pk})
        delete_tenants(pks=[tenant.pk])
        tenant = None
    if tenant is None:
        tenant = create_tenant(slug=slug, name=name, admin_email=f"admin@{slug}.test", timezone_name=ZONE)
        start = time.perf_counter()
        seeder(tenant)
        emit({"what": "built", "tenant": slug, "seconds": round(time.perf_counter() - start, 1)})
    return tenant


def wide_seeder(accounts: int, events: int):
    slots = max(1, min(33, round(events / 3 / accounts)))  # ~3 events per row; at most 33 slots fit 365 days
    return lambda tenant: seed(tenant, accounts=accounts, contacts=5, rollups=(WIDE_ROLLUPS, {"slots": slots}))


def history_seeder(accounts: int, events: int, days: int):
    per_row = max(1, round(events / (accounts * days * 7)))
    return lambda tenant: seed(tenant, accounts=accounts, contacts=10,
                               rollups=(HISTORY_ROLLUPS, {"days": days, "per_row": per_row}))


# ------------------------------------------------------------------------------------------- timing

SEQ_SCAN = "SELECT count(*), COALESCE(sum(count), 0) FROM health_usage_rollups WHERE tenant_id = %(t)s"


def seq_scan(tenant: Tenant, repeat: int) -> float:
    best, rows, events = None, 0, 0
    with tenant_scope(tenant):
        for _ in range(repeat):
            with transaction.atomic():
                run("SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; "
                    "SET LOCAL enable_bitmapscan = off")
                start = time.perf_counter()
                rows, events = scalar(SEQ_SCAN, {"t": tenant.pk})
                seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
    emit({"what": "sequential scan of the rollups", "tenant": tenant.slug, "rollup_rows": rows, "events": events,
          "seconds": round(best, 3)})
    return best


def timed_recompute(label: str, tenant: Tenant, days: list[dt.date], repeat: int) -> float:
    best = None
    with tenant_scope(tenant):
        accounts = CustomerAccount.objects.filter(tenant=tenant).count()
        for _ in range(repeat):
            start = time.perf_counter()
            written = recompute(tenant=tenant, days=days)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        stored = HealthScore.objects.filter(tenant=tenant, day__in=days).count()
    emit({"what": label, "tenant": tenant.slug, "accounts": accounts, "days": len(days), "rows_written": written,
          "rows_stored": stored, "seconds": round(best, 2)})
    return best


def timed_inputs(tenant: Tenant, day: dt.date) -> float:
    """The recompute's reads alone (every input family of every account, no scoring, no writes)."""
    with tenant_scope(tenant), transaction.atomic():
        run("SELECT set_config('work_mem', %(w)s, true)", {"w": TENANT_WORK_MEM})
        start = time.perf_counter()
        inputs = tenant_inputs_as_of(tenant=tenant, day=day, categories=CATEGORIES)
        seconds = time.perf_counter() - start
    emit({"what": "reading the inputs of the one-day recompute", "tenant": tenant.slug, "accounts": len(inputs),
          "seconds": round(seconds, 2)})
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts of the wide tenant")
    parser.add_argument("--events", type=int, default=10_000_000, help="events in the wide tenant's rollups")
    parser.add_argument("--backfill-accounts", type=int, default=1_000)
    parser.add_argument("--backfill-events", type=int, default=10_000_000)
    parser.add_argument("--backfill-days", type=int, default=HISTORY_DAYS)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the one-day recompute; the best is printed")
    parser.add_argument("--skip-day", action="store_true", help="no one-day recompute (nor the wide tenant)")
    parser.add_argument("--skip-backfill", action="store_true", help="no backfill (nor the history tenant)")
    parser.add_argument("--rebuild", action="store_true", help="drop and build the scratch tenants again")
    args = parser.parse_args()

    if not args.skip_day:
        wide = build(f"bench-health-{args.accounts}", f"Health benchmark, {args.accounts} accounts", args.rebuild,
                     wide_seeder(args.accounts, args.events))
        today = dt.datetime.now(dt.UTC).astimezone(wide.zone).date()
        scan = seq_scan(wide, repeat=3)
        full = timed_recompute("full one-day recompute", wide, [today], args.repeat)
        emit({"what": "one-day recompute / sequential scan", "ratio": round(full / scan, 2), "goal": "<= 3 and < 60 s"})
        reading = timed_inputs(wide, today)
        emit({"what": "reading the inputs / sequential scan", "ratio": round(reading / scan, 2)})
    if not args.skip_backfill:
        history = build(f"bench-health-history-{args.backfill_accounts}",
                        f"Health benchmark, history of {args.backfill_accounts} accounts", args.rebuild,
                        history_seeder(args.backfill_accounts, args.backfill_events, HISTORY_DAYS))
        today = dt.datetime.now(dt.UTC).astimezone(history.zone).date()
        days = [today - dt.timedelta(days=d) for d in range(args.backfill_days)]
        timed_recompute("history backfill", history, days, 1)


if __name__ == "__main__":
    main()
