"""Benchmark: account and contact upserts (service and HTTP) and the account pages over a large tenant.

Prints figures; it is not a timed test. Runs against ``DATABASE_URL`` (or the embedded server) in a
scratch tenant that it deletes at the end::

    .venv/bin/python bench/accounts_bulk.py --accounts 20000 --contacts-per-account 5
"""

from __future__ import annotations

import argparse
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import Tenant  # noqa: E402
from accounts.services.contacts import upsert_contacts  # noqa: E402
from accounts.services.customers import upsert_accounts  # noqa: E402
from accounts.services.tenants import create_api_key, create_tenant  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402

BATCH = 1000


def account_items(n: int, generation: int) -> list[dict]:
    return [
        {"external_id": f"acc-{i}", "name": f"Company {i}", "domain": f"c{i}.example.com", "plan": "growth",
         "tier": "premium" if i % 5 == 0 else "standard", "arr": str(1000 + i + generation), "seats": 10 + i % 90,
         "contract_start": "2026-01-01", "renewal_date": "2027-01-01", "lifecycle_stage": "adoption"}
        for i in range(n)
    ]


def contact_items(n_accounts: int, per_account: int) -> list[dict]:
    return [
        {"external_id": f"u-{a}-{c}", "account": f"acc-{a}", "email": f"u{c}@c{a}.example.com",
         "name": f"Person {a}-{c}", "persona": "end_user", "knowledge_level": "beginner"}
        for a in range(n_accounts) for c in range(per_account)
    ]


def timed_batches(label: str, func, tenant: Tenant, items: list[dict]) -> dict:
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    start = time.perf_counter()
    for offset in tqdm(range(0, len(items), BATCH), desc=label, unit="batch", file=sys.stderr):
        result = func(tenant=tenant, items=items[offset:offset + BATCH])
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        totals["rejected"] += len(result.rejected)
    seconds = time.perf_counter() - start
    return {"what": label, "items": len(items), "seconds": round(seconds, 2),
            "items_per_s": round(len(items) / seconds), **totals}


def timed_http(label: str, client: Client, path: str, items: list[dict]) -> dict:
    start = time.perf_counter()
    for offset in tqdm(range(0, len(items), BATCH), desc=label, unit="batch", file=sys.stderr):
        response = client.post(path, data=json.dumps(items[offset:offset + BATCH]), content_type="application/json")
        assert response.status_code == 200, response.content[:300]
    seconds = time.perf_counter() - start
    return {"what": label, "items": len(items), "seconds": round(seconds, 2),
            "items_per_s": round(len(items) / seconds)}


def timed_page(label: str, client: Client, path: str, repeat: int = 5) -> dict:
    client.get(path)  # warm caches and connections
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(repeat):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
    ms = (time.perf_counter() - start) * 1000 / repeat
    return {"what": label, "ms_per_request": round(ms, 1), "queries": len(queries) // repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--contacts-per-account", type=int, default=5)
    args = parser.parse_args()

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name="Benchmark", admin_email=f"admin@{slug}.test",
                           admin_password="bench-pw-1")
    figures = []
    try:
        with tenant_scope(tenant):
            accounts = account_items(args.accounts, 0)
            contacts = contact_items(args.accounts, args.contacts_per_account)
            figures.append(timed_batches("service: create accounts", upsert_accounts, tenant, accounts))
            figures.append(timed_batches("service: same accounts again", upsert_accounts, tenant, accounts))
            figures.append(timed_batches("service: create contacts", upsert_contacts, tenant, contacts))
            _, raw_key = create_api_key(tenant=tenant, name="bench", scopes=["read", "write"])
        api = Client(headers={"Authorization": f"Bearer {raw_key}"})
        updated = account_items(args.accounts, 1)
        figures.append(timed_http("HTTP: update accounts", api, "/api/v1/accounts/bulk", updated))
        staff = Client()
        staff.post("/accounts/login/", {"username": f"admin@{slug}.test", "password": "bench-pw-1"})
        figures.append(timed_page("page: account list", staff, f"/t/{slug}/accounts/"))
        figures.append(timed_page("page: account list, search", staff, f"/t/{slug}/accounts/?q=Company+19"))
        figures.append(timed_page("page: account list, by ARR desc", staff, f"/t/{slug}/accounts/?sort=-arr"))
        with tenant_scope(tenant):
            from accounts.models import CustomerAccount

            some = CustomerAccount.objects.order_by("pk").values_list("pk", flat=True)[args.accounts // 2]
        figures.append(timed_page("page: account detail", staff, f"/t/{slug}/accounts/{some}/"))
        figures.append(timed_page("API: account list (100)", api, "/api/v1/accounts?limit=100"))
    finally:
        Tenant.objects.filter(pk=tenant.pk).delete()
    for row in figures:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
