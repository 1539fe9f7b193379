"""Benchmark: usage-event ingestion, against raw COPY, through the service and over HTTP; rollup rebuild.

Prints figures (one JSON object per line); it is not a timed test. Runs against ``DATABASE_URL`` in a
scratch tenant (and scratch tables) that it removes at the end::

    python -m cs_platform.db.roles postgres://postgres@127.0.0.1:5432/postgres  # the two roles, once
    createdb -h 127.0.0.1 -U postgres -O cs_owner cs_bench_ingest
    export DATABASE_URL=postgres://cs_owner@127.0.0.1:5432/cs_bench_ingest
    DEBUG=1 .venv/bin/python manage.py migrate
    .venv/bin/python bench/ingest.py --events 1000000 --accounts 1000 --http-events 300000

It connects as the schema owner, not ``cs_app``: it creates scratch tables, which the app role may not; the
forced row-level security policies bind the owner as they bind the app role.

What is measured, all with the same kind of rows (N events over M accounts, 10 contacts each, spread
over the last ``--days`` days, in rough time order, 1 in 10 without a contact):
1. raw psycopg 3 binary COPY of ready-made rows into a scratch copy of the partitioned events table
   (same columns, indexes and months): one stream (the ceiling), and one transaction per 1,000 rows; then
   the *dedupe floor*: the same rows through a stage and the idempotency-key insert, in SQL only (see
   :func:`dedupe_floor`), the most any ingestion keeping "idempotent by (tenant, event_id)" can reach;
2. ``health.usage.services.ingest.ingest_events`` from Python dicts (validation, staging COPY, dedupe keys, events,
   the batch's rollup buckets and seen times staged in ``health_usagepending``: everything the endpoint
   does after parsing), in 1,000-event batches
   (the endpoint's) and in ``--big-batch`` batches (historical imports), worst-case distribution
   (:class:`Workload`); then the same 1,000-event batches again (all duplicates); then 1,000-event
   batches of the realistic distribution (:class:`RealisticWorkload`). After each, the merge of what it
   staged into ``health_usagedaily`` and the contacts' seen times (``health.usage.services.rollups``, the Celery task's
   work) is timed on its own, and the combined rate, events / (ingestion + merge seconds), printed: the
   ingestion figure alone leaves that work to a worker, the combined one does not;
3. ``POST /api/v1/events/bulk`` served by gunicorn (``--workers`` x ``--threads``) and driven by
   ``--clients`` threads, each posting pre-serialised 1,000-event JSON bodies over keep-alive; then the
   merge of what it staged, timed alone; then the same again (new event ids) with the merge running in a
   loop alongside, timed until nothing is left staged: the sustained rate on these two cores;
4. rollup rebuilds: into a fresh table with a parallel aggregate and the index built after (worst case and
   realistic distribution separately), and in place with ``INSERT ... SELECT ... GROUP BY`` over all the
   tenant's events, which also checks the rollups kept by ingestion against the rebuild. The figure
   behind "rollups for 10M events in < 60 s" is extrapolated linearly when N is smaller.

Each figure is printed as soon as it is measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.client
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# Ingestion enqueues a rollup merge after its commits (health.usage.services.rollups.schedule_merge). The bench
# times the merges itself (see ``merge``), so the enqueued tasks go to an in-process broker that nobody consumes
# rather than to a shared Redis whose workers would run them against this database meanwhile.
os.environ["CELERY_BROKER_URL"] = os.environ.get("BENCH_CELERY_BROKER_URL", "memory://")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import Tenant  # noqa: E402
from accounts.services.contacts import upsert_contacts  # noqa: E402
from accounts.services.customers import upsert_accounts  # noqa: E402
from accounts.services.tenants import create_api_key, create_tenant, delete_tenants  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402
from health.usage.services import partitions  # noqa: E402
from health.usage.services.ingest import ingest_events  # noqa: E402
from health.usage.services.rollups import MERGE_DELAY_SECONDS, merge_pending_usage  # noqa: E402

BATCH = 1000
CONTACTS_PER_ACCOUNT = 10
NAMES = [f"feature_{i}.{verb}" for i in range(20) for verb in ("viewed", "used")]
SCRATCH_EVENTS = "bench_usage_event"
SCRATCH_ROLLUP = "bench_usage_daily"


class Workload:
    """Deterministic events: item ``i`` of stream ``prefix`` is always the same event.

    The *worst case* for rollups (the default): every event picks an account, a contact and one of 40
    event names uniformly, so over 30 days nearly every event is its own (contact, day, name) bucket.
    """

    def __init__(self, total: int, accounts: int, days: int, seed: int = 7) -> None:
        self.total, self.accounts = total, accounts
        self.end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
        self.span = dt.timedelta(days=days).total_seconds()
        self.seed = seed

    def moment(self, i: int, rnd: random.Random) -> dt.datetime:
        return self.end - dt.timedelta(seconds=self.span * (1 - i / self.total) + rnd.random() * 600)

    def pick(self, moment: dt.datetime, rnd: random.Random) -> tuple[int, int, str]:
        return rnd.randrange(self.accounts), rnd.randrange(CONTACTS_PER_ACCOUNT), rnd.choice(NAMES)

    def item(self, prefix: str, i: int, rnd: random.Random) -> dict:
        moment = self.moment(i, rnd)
        account, contact, name = self.pick(moment, rnd)
        item = {"event_id": f"{prefix}-{i}", "account": f"acc-{account}", "name": name,
                "occurred_at": moment.isoformat(), "properties": {"source": "web", "ms": rnd.randrange(5000)}}
        if i % 10:
            item["contact"] = f"u-{account}-{contact}"
        return item

    def batch(self, prefix: str, offset: int, size: int) -> list[dict]:
        rnd = random.Random(f"{self.seed}-{prefix}-{offset}")
        return [self.item(prefix, i, rnd) for i in range(offset, min(offset + size, self.total))]


class RealisticWorkload(Workload):
    """A realistic distribution: events come in *sessions* of one contact (``SESSION`` consecutive events
    of the stream, within ~10 minutes), each contact is active on ~80% of the days (a
    fixed per-contact-and-day draw: only active contacts have sessions that day), and event names follow a
    Zipf law (weight 1/rank**1.2 over 40 names: a handful of names carry most events). So a (contact, day,
    name) bucket holds several events and a 1,000-event batch touches ~50 contacts, as in real product
    usage; the worst case (:class:`Workload`) has one event per bucket and ~900 contacts per batch."""

    SESSION = 20
    CUM_WEIGHTS = list(itertools.accumulate(1 / rank ** 1.2 for rank in range(1, len(NAMES) + 1)))

    def pick(self, moment: dt.datetime, rnd: random.Random) -> tuple[int, int, str]:
        account, contact = self.session_contact(self.current_session, moment.toordinal())
        return account, contact, rnd.choices(NAMES, cum_weights=self.CUM_WEIGHTS)[0]

    @functools.lru_cache(maxsize=64)  # noqa: B019 (a handful of entries, for the bench's lifetime)
    def session_contact(self, session: int, day: int) -> tuple[int, int]:
        draw = random.Random(f"{self.seed}-session-{session}")
        while True:
            account, contact = draw.randrange(self.accounts), draw.randrange(CONTACTS_PER_ACCOUNT)
            # A fixed pseudo-random draw per (account, contact, day): cheap, and the same in every run.
            if (account * 2654435761 + contact * 40503 + day * 97) % 1009 < 807:
                return account, contact

    def item(self, prefix: str, i: int, rnd: random.Random) -> dict:
        self.current_session = i // self.SESSION
        item = super().item(prefix, i, rnd)
        if i % 10 == 0:  # the contact-less events stay 1 in 10, but keep the session's account
            item.pop("contact", None)
        return item


def figure(what: str, events: int, seconds: float, **extra) -> dict:
    return {"what": what, "events": events, "seconds": round(seconds, 2), "events_per_s": round(events / seconds),
            **extra}


def setup_tenant(accounts: int, product_tasks: bool = False) -> tuple[Tenant, str]:
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name="Ingest benchmark", admin_email=f"admin@{slug}.test",
                           timezone_name="America/Los_Angeles")
    with tenant_scope(tenant):
        if product_tasks:
            publish_product_tasks(tenant)
        items = [{"external_id": f"acc-{a}", "name": f"Company {a}", "seats": 20} for a in range(accounts)]
        for offset in range(0, len(items), BATCH):
            upsert_accounts(tenant=tenant, items=items[offset:offset + BATCH])
        contacts = [{"external_id": f"u-{a}-{c}", "account": f"acc-{a}", "name": f"Person {a}-{c}"}
                    for a in range(accounts) for c in range(CONTACTS_PER_ACCOUNT)]
        for offset in tqdm(range(0, len(contacts), BATCH), desc="setup: contacts", file=sys.stderr):
            upsert_contacts(tenant=tenant, items=contacts[offset:offset + BATCH])
        _, raw_key = create_api_key(tenant=tenant, name="bench", scopes=["ingest"])
    return tenant, raw_key


def publish_product_tasks(tenant: Tenant) -> None:
    """A published path of two product tasks (learning.events) that every contact is enrolled in as it
    is created: one completed by the first event of a common name, one waiting for a property no event has, so
    every merge chunk also runs the completion statement over its contacts (the cost a tenant with product
    tasks pays after each batch, off the request path)."""
    from learning.paths.services import PathData, StepData, publish, save_path, save_steps

    path = save_path(tenant=tenant, path=None, data=PathData(name="Bench onboarding"))
    save_steps(tenant=tenant, path=path, steps=[
        StepData(kind="product_task", title="Use feature 0", event_name=NAMES[0], event_match={"source": "web"}),
        StepData(kind="product_task", title="Use feature 1 on mobile", event_name=NAMES[2],
                 event_match={"source": "mobile"})])
    publish(tenant=tenant, path=path, by=None)


def ids_of(tenant: Tenant) -> tuple[dict[str, int], dict[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT external_id, id FROM accounts_customeraccount WHERE tenant_id = %s", [tenant.pk])
        accounts = dict(cursor.fetchall())
        cursor.execute("SELECT external_id, id FROM accounts_contact WHERE tenant_id = %s", [tenant.pk])
        return accounts, dict(cursor.fetchall())


def raw_copy(tenant: Tenant, work: Workload) -> list[dict]:
    """Binary COPY of the same rows into a scratch partitioned table with the same indexes and months."""
    accounts, contacts = ids_of(tenant)
    months = sorted({partitions.month_of(work.end - dt.timedelta(seconds=s))
                     for s in range(0, int(work.span) + 700, 86400)})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_EVENTS}")
        cursor.execute(f"CREATE TABLE {SCRATCH_EVENTS} (LIKE {partitions.PARENT} INCLUDING DEFAULTS) "
                       "PARTITION BY RANGE (occurred_at)")
        cursor.execute(f"CREATE INDEX ON {SCRATCH_EVENTS} (tenant_id, occurred_at)")
        cursor.execute(f"CREATE INDEX ON {SCRATCH_EVENTS} USING brin (occurred_at)")
        for month in months:
            start, end = partitions.month_bounds(month)
            cursor.execute(f"CREATE TABLE {SCRATCH_EVENTS}_{month:%Y%m} PARTITION OF {SCRATCH_EVENTS} "
                           "FOR VALUES FROM (%s) TO (%s)", [start, end])
    def rows_of(prefix: str, offset: int, size: int) -> list[tuple]:
        return [(tenant.pk, dt.datetime.fromisoformat(e["occurred_at"]), accounts[e["account"]],
                 contacts.get(e.get("contact")), e["event_id"], e["name"], Jsonb(e["properties"]))
                for e in work.batch(prefix, offset, size)]

    copy_sql = (f"COPY {SCRATCH_EVENTS} (tenant_id, occurred_at, account_id, contact_id, event_id, name, properties) "
                "FROM STDIN (FORMAT BINARY)")
    types = ["int8", "timestamptz", "int8", "int8", "varchar", "varchar", "jsonb"]
    # The same COPY, one transaction per 1,000 rows: the commit granularity the endpoint must have.
    batched = 0.0
    for offset in tqdm(range(0, work.total, BATCH), desc="raw COPY per batch", unit="batch", file=sys.stderr):
        rows = rows_of("raw1k", offset, BATCH)
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        batched += time.perf_counter() - start
    per_batch = figure("raw binary COPY, a transaction per 1,000 rows", work.total, batched)
    elapsed = 0.0
    chunk = 50 * BATCH
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(copy_sql) as copy:
            copy.set_types(types)
            for offset in tqdm(range(0, work.total, chunk), desc="raw COPY", unit="chunk", file=sys.stderr):
                rows = rows_of("raw", offset, chunk)
                start = time.perf_counter()
                for row in rows:
                    copy.write_row(row)
                elapsed += time.perf_counter() - start
        start = time.perf_counter()
    elapsed += time.perf_counter() - start  # the commit
    one_stream = figure("raw binary COPY, one stream (scratch copy of the table)", work.total, elapsed)
    return [one_stream, per_batch, *dedupe_floor(rows_of, work, types, one_stream)]


def dedupe_floor(rows_of, work: Workload, types: list[str], one_stream: dict, batch: int = 10 * BATCH) -> list[dict]:
    """The least any idempotent ingestion must do, in SQL only: the same ready-made rows (no parsing, no
    validation, no look-ups, no rollups, no contacts), ``batch`` per transaction, binary-copied into a temporary
    stage, then their keys inserted into a scratch copy of ``health_usageeventkey`` (``ON CONFLICT DO NOTHING
    RETURNING``) and the new ones moved into the scratch events table. Its ratio to the one-stream raw COPY is a
    ceiling for the service's ratio (target (a)) while idempotency goes through a key table."""
    keys = "bench_usage_event_key"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {keys}")
        cursor.execute(f'CREATE TABLE {keys} (tenant_id bigint NOT NULL, event_id varchar(200) COLLATE "C" NOT NULL, '
                       "PRIMARY KEY (tenant_id, event_id))")
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_stage (LIKE bench_usage_event) ON COMMIT DELETE ROWS")
    elapsed = 0.0
    for offset in tqdm(range(0, work.total, batch), desc="dedupe floor", unit="batch", file=sys.stderr):
        rows = rows_of("floor", offset, batch)
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy("COPY bench_stage (tenant_id, occurred_at, account_id, contact_id, event_id, name, "
                                    "properties) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"""
                WITH fresh AS (
                    INSERT INTO {keys} (tenant_id, event_id)
                    SELECT tenant_id, event_id FROM bench_stage ORDER BY event_id COLLATE "C"
                    ON CONFLICT DO NOTHING RETURNING event_id
                )
                INSERT INTO {SCRATCH_EVENTS} SELECT s.* FROM bench_stage s JOIN fresh f ON f.event_id = s.event_id
                """)  # noqa: S608 (table names are ours)
        elapsed += time.perf_counter() - start
    staged = figure(f"floor: raw COPY to a stage + key insert + event insert, {batch:,} rows per transaction, "
                    "SQL only", work.total, elapsed)
    # Without the stage: the keys sent as one JSON text, and only the rows whose key came back new copied
    # straight into the events table. (The service needs the stage for its rollup buckets; this is the
    # more generous bound.)
    elapsed = 0.0
    copy_sql = (f"COPY {SCRATCH_EVENTS} (tenant_id, occurred_at, account_id, contact_id, event_id, name, properties) "
                "FROM STDIN (FORMAT BINARY)")
    for offset in tqdm(range(0, work.total, batch), desc="dedupe floor, no stage", unit="batch", file=sys.stderr):
        rows = rows_of("floor2", offset, batch)
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {keys} (tenant_id, event_id) "  # noqa: S608 (table name is ours)
                           'SELECT %s, k COLLATE "C" FROM json_array_elements_text(%s::json) k ORDER BY 2 '
                           "ON CONFLICT DO NOTHING RETURNING event_id",
                           [rows[0][0], orjson.dumps([r[4] for r in rows]).decode()])
            fresh = {r[0] for r in cursor.fetchall()}
            with cursor.cursor.copy(copy_sql) as copy:
                copy.set_types(types)
                for row in rows:
                    if row[4] in fresh:
                        copy.write_row(row)
        elapsed += time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {keys}")
    direct = figure(f"floor: key insert + raw COPY of the new rows, no stage, {batch:,} rows per transaction",
                    work.total, elapsed)
    return [row | {"ratio_to_raw_copy": round(row["events_per_s"] / one_stream["events_per_s"], 3)}
            for row in (staged, direct)]


def service(tenant: Tenant, work: Workload, prefix: str, label: str, batch: int = BATCH) -> dict:
    elapsed, accepted, duplicates = 0.0, 0, 0
    with tenant_scope(tenant):
        for offset in tqdm(range(0, work.total, batch), desc=label, unit="batch", file=sys.stderr):
            items = work.batch(prefix, offset, batch)
            start = time.perf_counter()
            result = ingest_events(tenant=tenant, items=items)
            elapsed += time.perf_counter() - start
            accepted += result.accepted
            duplicates += result.duplicates
            assert not result.rejected, result.rejected[:3]
    return figure(label, work.total, elapsed, accepted=accepted, duplicates=duplicates)


def merge(tenant: Tenant, label: str, ingest: dict | None = None) -> dict:
    """Fold everything staged by the previous step into the rollups and seen times (the merge task's work),
    timed; with the step's figure, also the combined rate: events / (ingestion time + merge time)."""
    start = time.perf_counter()
    with tenant_scope(tenant):
        merged = merge_pending_usage(tenant=tenant)
    elapsed = time.perf_counter() - start
    row = figure(f"rollup merge of the staged batches: {label}", max(merged.events, 1), elapsed,
                 batches=merged.batches, buckets_upserted=merged.buckets, contacts_updated=merged.contacts_seen)
    if ingest is not None:
        row["ingestion_plus_merge_events_per_s"] = round(ingest["events"] / (ingest["seconds"] + elapsed))
    return row


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING", "DB_CONN_MAX_AGE": "600",
           "API_RATE_LIMIT": "1000000/min"}
    server = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "cs_platform.wsgi", "--workers", str(workers), "--threads", str(threads),
         "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"],
        cwd=ROOT, env=env,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def http_run(work: Workload, prefix: str, raw_key: str, workers: int, threads: int, clients: int,
             merge_tenant: Tenant | None = None) -> dict:
    """``merge_tenant``: also run the rollup merge alongside, in a loop, as the Celery worker would (one process
    on the same two cores); the figure then counts until everything is merged: the sustained rate."""
    bodies = [json.dumps(work.batch(prefix, offset, BATCH)).encode()
              for offset in tqdm(range(0, work.total, BATCH), desc="HTTP: bodies", file=sys.stderr)]
    server, port = start_server(workers, threads)
    headers = {"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"}
    progress = tqdm(total=len(bodies), desc=f"HTTP: {clients} clients", unit="req", file=sys.stderr)
    results = []

    def post_all(chunk: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for body in chunk:
            conn.request("POST", "/api/v1/events/bulk", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            assert response.status == 200, payload[:300]
            results.append(json.loads(payload))
            progress.update()
        conn.close()

    try:
        # Warm each worker (imports, DB connection) before timing.
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(workers * 2):
            warm.request("POST", "/api/v1/events/bulk", body=b"[]", headers=headers)
            warm.getresponse().read()
        warm.close()
        chunks = [bodies[i::clients] for i in range(clients)]
        stop = threading.Event()
        merger = threading.Thread(target=merge_loop, args=(merge_tenant, stop)) if merge_tenant else None
        start = time.perf_counter()
        if merger:
            merger.start()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post_all, chunks))
        if merger:
            stop.set()
            merger.join()  # its last pass runs after the last request: nothing is left staged
        elapsed = time.perf_counter() - start
    finally:
        progress.close()
        server.terminate()
        server.wait(timeout=30)
    accepted = sum(r["accepted"] for r in results)
    alongside = ", rollup merge running alongside (sustained)" if merge_tenant else ""
    return figure(f"HTTP POST /api/v1/events/bulk, {type(work).__name__}, gunicorn {workers} workers x {threads} "
                  f"threads, {clients} client threads{alongside}",
                  work.total, elapsed, accepted=accepted)


def merge_loop(tenant: Tenant, stop: threading.Event) -> None:
    """What the Celery worker does under steady ingestion: ``health.tasks.merge_usage_rollups`` once every
    ``MERGE_DELAY_SECONDS`` (the countdown ``health.usage.services.rollups.schedule_merge`` gives it), then once
    more after the last request."""
    try:
        with tenant_scope(tenant):
            while not stop.wait(MERGE_DELAY_SECONDS):
                merge_pending_usage(tenant=tenant)
            merge_pending_usage(tenant=tenant)
    finally:
        connection.close()


ROLLUP_SELECT = ("SELECT tenant_id, account_id, contact_id, (occurred_at AT TIME ZONE %s)::date AS day, "
                 "name AS event_name, count(*)::integer AS count FROM health_usage_event WHERE tenant_id = %s")


def rollup_rebuild_fresh(tenant: Tenant, prefix: str, label: str) -> dict:
    """The fast rebuild: aggregate into a fresh table, then build its one index; a real rebuild would then
    swap it in. ``CREATE TABLE AS`` runs the scan and the aggregate with parallel workers (PostgreSQL 15
    never plans ``INSERT ... SELECT`` in parallel), and an index built once over sorted input is far cheaper
    than one maintained row by row. Only the events of stream ``prefix`` (one workload) are rolled up."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_ROLLUP}")
        cursor.execute("SELECT count(*) FROM health_usage_event WHERE tenant_id = %s AND event_id LIKE %s",
                       [tenant.pk, f"{prefix}-%"])
        events = cursor.fetchone()[0]
        start = time.perf_counter()
        with transaction.atomic():
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL work_mem = '256MB'; "
                           "SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(f"CREATE TABLE {SCRATCH_ROLLUP} AS {ROLLUP_SELECT} AND event_id LIKE %s "  # noqa: S608
                           "GROUP BY 1, 2, 3, 4, 5", [tenant.timezone, tenant.pk, f"{prefix}-%"])
            buckets = cursor.rowcount
            cursor.execute(f"CREATE UNIQUE INDEX ON {SCRATCH_ROLLUP} (tenant_id, account_id, contact_id, day, "
                           "event_name) NULLS NOT DISTINCT")
        elapsed = time.perf_counter() - start
        cursor.execute(f"DROP TABLE {SCRATCH_ROLLUP}")
    return figure(f"rollup rebuild into a fresh table (parallel aggregate, index after): {label}", events,
                  elapsed, buckets=buckets, events_per_bucket=round(events / buckets, 2),
                  extrapolated_seconds_for_10M=round(elapsed * 10_000_000 / events, 1))


def rollup_rebuild_in_place(tenant: Tenant) -> dict:
    """Every daily rollup of the tenant recomputed with ``INSERT ... SELECT ... GROUP BY`` into a table
    indexed like ``health_usagedaily``; also checks that the rollups kept by ingestion equal the rebuild."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_ROLLUP}")
        cursor.execute(f"CREATE TABLE {SCRATCH_ROLLUP} (LIKE health_usagedaily INCLUDING ALL)")
        cursor.execute("SELECT count(*) FROM health_usage_event WHERE tenant_id = %s", [tenant.pk])
        events = cursor.fetchone()[0]
        start = time.perf_counter()
        with transaction.atomic():
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                f"INSERT INTO {SCRATCH_ROLLUP} (tenant_id, account_id, contact_id, day, event_name, count) "  # noqa: S608
                f"{ROLLUP_SELECT} GROUP BY 1, 2, 3, 4, 5",
                [tenant.timezone, tenant.pk],
            )
            buckets = cursor.rowcount
        elapsed = time.perf_counter() - start
        # The rollups kept in step by ingestion must equal the rebuild (EXCEPT: one hashed pass each).
        cursor.execute(f"SELECT count(*) FROM (SELECT tenant_id, account_id, contact_id, day, event_name, count "  # noqa: S608
                       f"FROM {SCRATCH_ROLLUP} EXCEPT SELECT tenant_id, account_id, contact_id, day, event_name, count "
                       "FROM health_usagedaily WHERE tenant_id = %s) differing", [tenant.pk])
        differing = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), coalesce(sum(count), 0) FROM health_usagedaily WHERE tenant_id = %s",
                       [tenant.pk])
        kept_buckets, kept_events = cursor.fetchone()
    assert differing == 0 and buckets == kept_buckets and kept_events == events, (differing, buckets, kept_buckets,
                                                                                   events)
    return figure("rollup rebuild in place (INSERT ... SELECT ... GROUP BY, indexed table), all workloads", events,
                  elapsed, buckets=buckets, extrapolated_seconds_for_10M=round(elapsed * 10_000_000 / events, 1))


def cleanup(tenant: Tenant) -> None:
    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_EVENTS}, {SCRATCH_ROLLUP}")
        # Straight to the point, before Django's cascade would look for each contact's events.
        cursor.execute("DELETE FROM health_usage_event WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM health_usagedaily WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM health_usageeventkey WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("DELETE FROM health_usagepending WHERE tenant_id = %s", [tenant.pk])
    delete_tenants(pks=[tenant.pk])  # the cascade, under the row-level security bypass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="N for raw COPY and the service")
    parser.add_argument("--accounts", type=int, default=1000, help="M accounts, 10 contacts each")
    parser.add_argument("--days", type=int, default=30, help="the events span this many days up to now")
    parser.add_argument("--http-events", type=int, default=300_000)
    parser.add_argument("--big-batch", type=int, default=10_000, help="the service's second batch size (imports)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread when > 1)")
    parser.add_argument("--clients", type=int, default=6, help="concurrent HTTP client threads")
    parser.add_argument("--product-tasks", action="store_true",
                        help="every contact enrolled in a path of two product tasks (their completion runs in "
                             "each merge)")
    args = parser.parse_args()

    tenant, raw_key = setup_tenant(args.accounts, product_tasks=args.product_tasks)
    work = Workload(args.events, args.accounts, args.days)
    try:
        # Every step reads and writes the scratch tenant's rows: row-level security shows them in its scope.
        with tenant_scope(tenant):
            raw_one_stream, raw_per_batch, *floors = raw_copy(tenant, work)
            emit(raw_one_stream)
            emit(raw_per_batch)
            for floor in floors:
                emit(floor)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_EVENTS}")
            partitions.ensure_partitions_ahead()
            for prefix, batch in (("svc", BATCH), ("big", args.big_batch)):
                row = service(tenant, work, prefix, f"service ingest_events, {batch:,}-event batches", batch)
                emit(row | {"ratio_to_raw_copy": round(row["events_per_s"] / raw_one_stream["events_per_s"], 3)})
                merged = merge(tenant, f"{batch:,}-event batches, worst case", row)
                emit(merged | {"ratio_to_raw_copy_with_merge": round(
                    merged["ingestion_plus_merge_events_per_s"] / raw_one_stream["events_per_s"], 3)})
            retry = Workload(min(args.events, 100_000), args.accounts, args.days)
            emit(service(tenant, retry, "svc", "service, the same batches again (all duplicates)"))
            real = RealisticWorkload(args.events, args.accounts, args.days)
            row = service(tenant, real, "real", "service, 1,000-event batches, realistic distribution")
            emit(row)
            emit(merge(tenant, "1,000-event batches, realistic distribution", row))
            if args.http_events:
                for prefix, kind in (("http", Workload), ("httpreal", RealisticWorkload)):
                    row = http_run(kind(args.http_events, args.accounts, args.days), prefix, raw_key,
                                   args.workers, args.threads, args.clients)
                    emit(row)
                    emit(merge(tenant, f"after HTTP, {kind.__name__}", row))
                    emit(http_run(kind(args.http_events, args.accounts, args.days), f"{prefix}m", raw_key,
                                  args.workers, args.threads, args.clients, merge_tenant=tenant))
            emit(rollup_rebuild_fresh(tenant, "svc", "worst case (about one event per bucket)"))
            emit(rollup_rebuild_fresh(tenant, "real", "realistic distribution"))
            emit(rollup_rebuild_in_place(tenant))
    finally:
        cleanup(tenant)


def emit(row: dict) -> None:
    # At once, so that a long run stopped midway keeps what it has measured.
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
