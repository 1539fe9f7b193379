"""Benchmark: continuous enrollment of a 50,000-contact import (issue 13, "Performance").

A scratch tenant with accounts of several stages, tiers and plans, 50,000 new contacts of several personas
and knowledge levels, and 10 published paths with targeting rules (one with a prerequisite). Times, with
the queries counted: one ``learning.services.enroll`` pass over all contacts, the same pass again (changes
nothing), then ``reevaluate`` after the personas of 10% of them changed (through the accounts service).
``--parts`` instead splits the first pass into its parts (reading the offers and the contacts' facts,
matching in Python, the insert) and times the variant that matches in SQL, so it shows what dominates.
Prints one JSON line per figure; the tenant is deleted at the end. Runs against ``DATABASE_URL`` (or the
embedded server)::

    .venv/bin/python bench/learning_enroll.py --contacts 50000
    .venv/bin/python bench/learning_enroll.py --contacts 50000 --parts python
    .venv/bin/python bench/learning_enroll.py --contacts 50000 --parts sql
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import Contact, Tenant  # noqa: E402
from accounts.selectors import tenant_today  # noqa: E402
from accounts.services.contacts import upsert_contacts  # noqa: E402
from accounts.services.customers import upsert_accounts  # noqa: E402
from accounts.services.tenants import create_tenant, delete_tenants  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402
from learning import services  # noqa: E402
from learning.models import Enrollment, LearningPath  # noqa: E402
from learning.paths.services import PathData, StepData, publish, save_path, save_steps  # noqa: E402
from learning.reports import selectors as report_selectors  # noqa: E402
from learning.targeting import matches  # noqa: E402

BATCH = 1000
PERSONAS = ("admin", "end_user", "manager", "developer", "analyst")
LEVELS = ("beginner", "intermediate", "expert")
STAGES = ("onboarding", "adoption", "mature", "renewal")
TIERS = ("standard", "premium", "enterprise")
PLANS = ("starter", "growth", "pro")

# (name, targeting, prerequisite name or None): ten paths, from "everyone" to narrow combinations.
PATHS = (
    ("Everyone: getting started", {}, None),
    ("Admins: set up the workspace", {"personas": ["admin"]}, None),
    ("Admins: security and SSO", {"personas": ["admin"], "tiers": ["premium", "enterprise"]}, None),
    ("Managers: reports", {"personas": ["manager", "admin"]}, None),
    ("Developers: the API", {"personas": ["developer"], "knowledge_levels": ["intermediate", "expert"]}, None),
    ("Beginners: the basics", {"knowledge_levels": ["beginner"]}, None),
    ("Onboarding accounts: first week", {"lifecycle_stages": ["onboarding"]}, None),
    ("Renewal: what's new", {"lifecycle_stages": ["renewal", "mature"], "plans": ["growth", "pro"]}, None),
    ("Analysts: dashboards", {"personas": ["analyst"], "plans": ["pro"]}, None),
    ("Everyone: advanced", {}, "Everyone: getting started"),
)


def account_items(n: int) -> list[dict]:
    return [{"external_id": f"acc-{i}", "name": f"Company {i}", "tier": TIERS[i % 3], "plan": PLANS[(i // 3) % 3],
             "lifecycle_stage": STAGES[(i // 9) % 4], "seats": 100} for i in range(n)]


def contact_items(n: int, accounts: int) -> list[dict]:
    return [{"external_id": f"u-{i}", "account": f"acc-{i % accounts}", "email": f"u{i}@bench.example.com",
             "name": f"Person {i}", "persona": PERSONAS[i % 5], "knowledge_level": LEVELS[(i // 5) % 3]}
            for i in range(n)]


def persona_changes(n: int, accounts: int) -> list[dict]:
    """Every 10th contact (all admins so far) gets the next persona of a cycle: most stop being admins (their
    admin paths not started are withdrawn), each new persona brings its own paths (new enrollments)."""
    return [{**item, "persona": PERSONAS[(i // 10 + 1) % 5]}
            for i, item in enumerate(contact_items(n, accounts)) if i % 10 == 0]


def load(func, tenant: Tenant, items: list[dict], label: str) -> None:
    for offset in tqdm(range(0, len(items), BATCH), desc=label, unit="batch", file=sys.stderr):
        result = func(tenant=tenant, items=items[offset:offset + BATCH])
        assert not result.rejected, result.rejected[:3]


def seed_paths(tenant: Tenant) -> None:
    made = {}
    for name, targeting, requires in PATHS:
        prerequisites = [made[requires]] if requires else []
        path = save_path(tenant=tenant, path=None, data=PathData(name=name, targeting=targeting,
                                                                 prerequisites=prerequisites))
        save_steps(tenant=tenant, path=path, steps=[StepData(kind="lesson", title=f"{name} {i}", body_markdown="x")
                                                    for i in range(3)])
        publish(tenant=tenant, path=path, by=None)
        made[name] = path


def timed(label: str, func) -> tuple[dict, object]:
    """Seconds and queries of ``func()``. Queries are counted by an execute wrapper, not CaptureQueriesContext:
    that one renders each statement with its parameters, and the insert's three 142,000-element arrays
    took seconds to render, which the pass itself does not spend."""
    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        start = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - start
    return {"what": label, "seconds": round(seconds, 3), "queries": count[0]}, result


_MATCH_IN_SQL = """
    INSERT INTO learning_enrollment (tenant_id, contact_id, path_id, version_id, status, enrolled_at)
    SELECT c.tenant_id, c.id, o.path_id, o.version_id, 'enrolled', now()
    FROM accounts_contact c
    JOIN accounts_customeraccount a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
    CROSS JOIN unnest(%(paths)s::bigint[], %(versions)s::bigint[]) AS o(path_id, version_id)
    LEFT JOIN learning_targetingrule r ON r.tenant_id = c.tenant_id AND r.path_id = o.path_id
    WHERE c.tenant_id = %(tenant)s AND c.id = ANY(%(contacts)s::bigint[])
      AND (r.id IS NULL OR (
            (jsonb_array_length(r.personas) = 0 OR r.personas ? lower(btrim(c.persona)))
        AND (jsonb_array_length(r.knowledge_levels) = 0 OR r.knowledge_levels ? lower(btrim(c.knowledge_level)))
        AND (jsonb_array_length(r.lifecycle_stages) = 0 OR r.lifecycle_stages ? lower(btrim(a.lifecycle_stage)))
        AND (jsonb_array_length(r.tiers) = 0 OR r.tiers ? lower(btrim(a.tier)))
        AND (jsonb_array_length(r.plans) = 0 OR r.plans ? lower(btrim(a.plan)))))
      AND NOT EXISTS (
            SELECT 1 FROM learning_prerequisite pr
            WHERE pr.tenant_id = c.tenant_id AND pr.path_id = o.path_id AND NOT EXISTS (
                SELECT 1 FROM learning_enrollment d
                WHERE d.tenant_id = c.tenant_id AND d.contact_id = c.id AND d.path_id = pr.requires_id
                      AND d.status = 'completed'))
    ON CONFLICT DO NOTHING
    RETURNING 1
"""


def _match_and_insert_in_sql(tenant: Tenant, ids: list[int], offers) -> int:
    """The variant measured against the Python match: the rule lists matched in SQL (jsonb ``?``), one
    statement from the contacts to the insert. Not kept (see the README): the Python match is not what
    dominates, and SQL's lower/btrim are not Python's casefold/strip, so the two could disagree."""
    with connection.cursor() as cursor:
        cursor.execute(_MATCH_IN_SQL, {"tenant": tenant.pk, "contacts": ids, "paths": [o.path_id for o in offers],
                                       "versions": [o.version_id for o in offers]})
        return len(cursor.fetchall())


def parts_of_a_pass(tenant: Tenant, ids: list[int]) -> list[dict]:
    """The first pass's parts, each timed alone, in a transaction rolled back (nothing is kept)."""
    with transaction.atomic():
        t0 = time.perf_counter()
        offers = services._offers(tenant)
        facts = services._facts(tenant, ids)
        t1 = time.perf_counter()
        wanted = {(cid, o.path_id) for cid, f in facts.items() for o in offers
                  if matches(o.rule, f) and not o.requires}
        t2 = time.perf_counter()
        inserted = services._insert_enrollments(tenant, sorted(wanted), {o.path_id: o.version_id for o in offers})
        t3 = time.perf_counter()
        transaction.set_rollback(True)
    return [{"what": "part: read offers and facts", "seconds": round(t1 - t0, 3), "contacts": len(facts)},
            {"what": "part: match in Python (learning.targeting.matches)", "seconds": round(t2 - t1, 3),
             "evaluations": len(facts) * len(offers)},
            {"what": "part: insert (unnest, anti-join, ON CONFLICT DO NOTHING RETURNING)",
             "seconds": round(t3 - t2, 3), "rows": inserted},
            {"what": "parts: total", "seconds": round(t3 - t0, 3)}]


def sql_variant(tenant: Tenant, ids: list[int]) -> list[dict]:
    """The variant that matches in SQL, in a transaction rolled back."""
    with transaction.atomic():
        t0 = time.perf_counter()
        in_sql = _match_and_insert_in_sql(tenant, ids, services._offers(tenant))
        t1 = time.perf_counter()
        transaction.set_rollback(True)
    return [{"what": "variant: read offers, match and insert in one SQL statement", "seconds": round(t1 - t0, 3),
             "rows": in_sql}]


def passes(tenant: Tenant, ids: list[int], args) -> list[dict]:
    """The first pass, the rerun, the persona changes' re-evaluation and its rerun."""
    figures = []
    row, created = timed("enroll: first pass", lambda: services.enroll(tenant=tenant, contact_ids=ids))
    figures.append({**row, "contacts": len(ids), "enrollments": created,
                    "enrollments_per_s": round(created / row["seconds"])})
    row, again = timed("enroll: rerun (changes nothing)", lambda: services.enroll(tenant=tenant,
                                                                                  contact_ids=ids))
    figures.append({**row, "enrollments": again})
    load(upsert_contacts, tenant, persona_changes(args.contacts, args.accounts), "persona changes")
    moved = ids[::10]
    row, result = timed("reevaluate: 10% changed persona", lambda: services.reevaluate(tenant=tenant,
                                                                                       contact_ids=moved))
    figures.append({**row, "contacts": len(moved), **result})
    row, result = timed("reevaluate: the same again", lambda: services.reevaluate(tenant=tenant,
                                                                                  contact_ids=moved))
    figures.append({**row, **result})
    figures.append({"what": "enrollments stored", "rows": Enrollment.objects.filter(tenant=tenant).count()})
    figures.extend(report_figures(tenant))
    return figures


def report_figures(tenant: Tenant) -> list[dict]:
    """The CSM's figures over the import's cohort: the overview's selector (every path) and the largest
    path's drop-off by step (every enrollment x every step of its version)."""
    today = tenant_today(tenant)
    start, end = today.replace(day=1), today + dt.timedelta(days=1)
    row, figures = timed("report: path_figures, every path", lambda: report_selectors.path_figures(
        tenant=tenant, start=start, end=end))
    biggest = max(figures, key=lambda pk: figures[pk]["enrolled"])
    path = LearningPath.objects.get(tenant=tenant, pk=biggest)
    rows = [{**row, "paths": len(figures), "enrollments": sum(f["enrolled"] for f in figures.values())}]
    row, _ = timed("report: step_dropoff, largest path", lambda: report_selectors.step_dropoff(
        tenant=tenant, path=path, start=start, end=end))
    rows.append({**row, "enrollments": figures[biggest]["enrolled"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--parts", choices=("python", "sql"),
                        help="instead: time the first pass's parts (python) or the SQL-match variant (sql), in a "
                             "transaction rolled back (a run of its own: rolled-back rows would slow a later pass)")
    args = parser.parse_args()

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name="Benchmark", admin_email=f"admin@{slug}.test", admin_password="bench-pw-1")
    figures = []
    try:
        with tenant_scope(tenant):
            load(upsert_accounts, tenant, account_items(args.accounts), "accounts")
            # Contacts first, paths after: the new-contact hook then has nothing to enroll them in, and the
            # timed pass below is the whole import's enrollment.
            load(upsert_contacts, tenant, contact_items(args.contacts, args.accounts), "contacts")
            seed_paths(tenant)
            ids = list(Contact.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
            if args.parts == "python":
                figures.extend(parts_of_a_pass(tenant, ids))
            elif args.parts == "sql":
                figures.extend(sql_variant(tenant, ids))
            else:
                figures.extend(passes(tenant, ids, args))
    finally:
        delete_tenants(pks=[tenant.pk])  # the cascade under the row-level security bypass
    for row in figures:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
