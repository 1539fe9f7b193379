"""A simulated B2B history loaded through the REST API, then backtested (issue 14).

Seat-based accounts on monthly or yearly plans, their contacts, usage events of 28 event types, and subscription
periods that renew or churn at each end; scores backfilled through ``POST /api/v1/health/recompute`` with
``from``/``to``; then ``GET /api/v1/health/backtest`` is printed.

- ``--mode behaviour``: each account has a latent health that drifts week by week (a mean-reverting random walk);
  it drives how many of its contacts are active and how much they do, and the churn probability at each period
  end (a logistic curve of the health at the end: a few percent a month on average).
- ``--mode random``: the same usage, but churn is a coin of the same average rate, unrelated to behaviour: an
  honest backtest must say "weak evidence".
- The history ends today (the tenant's local day): a period that ends after it is censored (the next one is
  simply not written).

Everything goes through the API with an API key (accounts, contacts, events, subscription periods, the
recompute, the backtest) via Django's test client in this process; the rollups are merged by the usage
service (the merge task's body), and the recompute job is run by its task function (as tests do), so no
worker is needed. Runs against ``DATABASE_URL`` (or the embedded server) in a scratch tenant, deleted at the
end unless ``--keep``::

    .venv/bin/python bench/simulate_history.py --accounts 1000 --months 12 --mode behaviour --seed 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
    os.environ.setdefault("CS_ALLOW_DEV_SECRET", "1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()

from django.test import Client  # noqa: E402

from accounts.models import Job, Tenant  # noqa: E402
from accounts.selectors import tenant_today  # noqa: E402
from accounts.tenancy import tenant_scope  # noqa: E402
from health.scores.tasks import recompute_health  # noqa: E402
from health.usage.services.rollups import merge_pending_usage  # noqa: E402

EVENT_TYPES = [f"{area}.{verb}" for area in ("report", "dashboard", "export", "alert", "project", "task", "file")
               for verb in ("viewed", "created", "shared", "edited")]  # 28
EVENT_BATCH = 1000
PERIOD_BATCH = 5000
BASE_CHURN = 0.04  # at a monthly period end; a yearly one a little more


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class SimAccount:
    key: str
    seats: int
    contacts: int
    yearly: bool
    start: dt.date
    health: float
    weekly_health: list[float] = field(default_factory=list)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, 28))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class History:
    """The generated history: items ready for the API, deterministic per seed."""

    def __init__(self, *, accounts: int, months: int, mode: str, seed: int, today: dt.date,
                 events_per_week: float, billing_days: int = 28) -> None:
        self.rng = random.Random(seed)
        self.billing_days = billing_days
        self.mode, self.today, self.events_per_week = mode, today, events_per_week
        self.first_day = add_months(today, -months)
        self.accounts = [self._account(i) for i in range(accounts)]
        self.periods: list[dict] = []
        self.events: list[dict] = []
        self.churns = 0
        for account in self.accounts:
            self._walk(account)

    def _account(self, i: int) -> SimAccount:
        rng = self.rng
        start = self.first_day + dt.timedelta(days=rng.randrange(0, self.billing_days))
        seats = rng.choice([3, 5, 8, 10, 15, 20, 30])
        # seat-based plans: most seats have a known user
        return SimAccount(f"sim-{i}", seats, max(2, round(seats * rng.uniform(0.6, 1.0))), rng.random() < 0.3,
                          start, rng.gauss(0, 1))

    def _churn_probability(self, account: SimAccount, health: float) -> float:
        base = BASE_CHURN * (2 if account.yearly else 1)
        if self.mode == "random":
            return base
        # logistic in the health, calibrated so that health 0 gives about the base rate
        return _sigmoid(math.log(base / (1 - base)) - 2.2 * health)

    def _week(self, account: SimAccount, monday: dt.date, until: dt.date) -> None:
        rng = self.rng
        account.health = 0.9 * account.health + rng.gauss(0, 0.35)
        active_share = _sigmoid(-0.5 + 2.0 * account.health)
        per_contact = self.events_per_week * math.exp(0.8 * account.health)
        for c in range(account.contacts):
            if rng.random() > active_share:
                continue
            for _ in range(max(1, round(rng.expovariate(1 / per_contact)))):
                day = monday + dt.timedelta(days=rng.randrange(7))
                if day >= until or day >= self.today:
                    continue
                self.events.append({
                    "event_id": f"{account.key}-{len(self.events)}", "account": account.key,
                    "contact": f"{account.key}-u{c}", "name": rng.choice(EVENT_TYPES[:10 + c % 18]),
                    "occurred_at": f"{day.isoformat()}T{rng.randrange(9, 18):02d}:{rng.randrange(60):02d}:00-08:00"})

    def _walk(self, account: SimAccount) -> None:
        """Periods one after another while the account stays; its usage week by week until it leaves."""
        start, number = account.start, 0
        week = account.start
        while start < self.today:
            end = add_months(start, 12 if account.yearly else 1)
            self.periods.append({"external_id": f"{account.key}-p{number}", "account": account.key,
                                 "starts_at": start.isoformat(), "ends_at": end.isoformat(),
                                 "arr": f"{account.seats * 360:.2f}", "seats": account.seats,
                                 "plan": "yearly" if account.yearly else "monthly"})
            while week < min(end, self.today):
                self._week(account, week, end)
                week += dt.timedelta(days=7)
            if end >= self.today:
                return  # censored: the history ends before this period does
            if self.rng.random() < self._churn_probability(account, account.health):
                self.churns += 1
                return
            start, number = end, number + 1

    def account_items(self) -> list[dict]:
        return [{"external_id": a.key, "name": f"Simulated {a.key}", "seats": a.seats, "plan": "seats",
                 "contract_start": a.start.isoformat(), "lifecycle_stage": "adoption"} for a in self.accounts]

    def contact_items(self) -> list[dict]:
        return [{"external_id": f"{a.key}-u{c}", "account": a.key, "email": f"u{c}@{a.key}.example.com",
                 "name": f"User {c} of {a.key}"} for a in self.accounts for c in range(a.contacts)]


def _post(api: Client, path: str, items: list, batch: int, label: str) -> None:
    started = time.perf_counter()
    for offset in range(0, len(items), batch):
        response = api.post(path, data=json.dumps(items[offset:offset + batch]), content_type="application/json")
        assert response.status_code in (200, 202), (path, response.status_code, response.content[:300])
        body = response.json()
        assert not body.get("rejected"), (path, body["rejected"][:3])
        if offset // batch % 20 == 0:
            _log(f"  {label}: {min(offset + batch, len(items)):,} / {len(items):,}")
    _log(f"{label}: {len(items):,} in {time.perf_counter() - started:.1f} s")


def _backfill(api: Client, tenant: Tenant, start: dt.date, end: dt.date) -> None:
    """POST /health/recompute with from/to (at most 366 days a request), each job run by its task function."""
    started, day = time.perf_counter(), start
    while day <= end:
        last = min(end, day + dt.timedelta(days=365))
        body = {"from": day.isoformat(), "to": last.isoformat()}
        response = api.post("/api/v1/health/recompute", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 202, response.content[:300]
        job_id = response.json()["job"]["id"]
        recompute_health(tenant.pk, job_id)
        with tenant_scope(tenant):
            state = Job.objects.get(pk=job_id).state
        _log(f"  recompute {day} .. {last}: job {job_id} {state}")
        day = last + dt.timedelta(days=1)
    _log(f"backfill: {(end - start).days + 1} days in {time.perf_counter() - started:.1f} s")


def simulate(*, tenant: Tenant, raw_key: str, accounts: int, months: int, mode: str, seed: int,
             events_per_week: float = 3.0, backfill_days: int | None = None, horizon_days: int = 14,
             billing_days: int = 28) -> dict:
    """Generate and load the history into ``tenant`` through the API, backfill, and answer the backtest."""
    today = tenant_today(tenant)
    history = History(accounts=accounts, months=months, mode=mode, seed=seed, today=today,
                      events_per_week=events_per_week, billing_days=billing_days)
    _log(f"history: {accounts} accounts, {len(history.periods):,} periods, {history.churns} churns, "
         f"{len(history.events):,} events, {len(EVENT_TYPES)} event types, mode {mode}")
    api = Client(headers={"Authorization": f"Bearer {raw_key}"})
    _post(api, "/api/v1/accounts/bulk", history.account_items(), 1000, "accounts")
    _post(api, "/api/v1/contacts/bulk", history.contact_items(), 1000, "contacts")
    _post(api, "/api/v1/subscriptions/bulk", history.periods, PERIOD_BATCH, "subscription periods")
    _post(api, "/api/v1/events/bulk", history.events, EVENT_BATCH, "events")
    started = time.perf_counter()
    merged = merge_pending_usage(tenant=tenant)
    _log(f"rollups: {merged.events:,} events merged in {time.perf_counter() - started:.1f} s")
    first = history.first_day if backfill_days is None else today - dt.timedelta(days=backfill_days - 1)
    _backfill(api, tenant, first, today)
    started = time.perf_counter()
    response = api.get(f"/api/v1/health/backtest?horizon_days={horizon_days}")
    assert response.status_code == 200, response.content[:300]
    _log(f"backtest: {time.perf_counter() - started:.1f} s")
    return response.json()


def main() -> None:
    from accounts.services.tenants import create_api_key, create_tenant

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--mode", choices=("behaviour", "random"), default="behaviour")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events-per-week", type=float, default=3.0, help="per active contact, on average")
    parser.add_argument("--backfill-days", type=int, default=None, help="default: the whole history")
    parser.add_argument("--horizon-days", type=int, default=14)
    parser.add_argument("--billing-days", type=int, default=28,
                        help="accounts start on one of the first N days of the first month (1-28); fewer distinct "
                             "period ends make a faster backtest (one inputs_as_of per distinct scoring day)")
    parser.add_argument("--keep", action="store_true", help="keep the tenant (its slug is printed)")
    args = parser.parse_args()
    slug = f"sim-{uuid.uuid4().hex[:8]}"
    tenant = create_tenant(slug=slug, name=f"Simulated ({args.mode})", admin_email=f"admin@{slug}.test",
                           timezone_name="America/Los_Angeles", admin_password="sim-pw-1")
    _log(f"tenant {slug}")
    try:
        with tenant_scope(tenant):
            _, raw_key = create_api_key(tenant=tenant, name="simulation", scopes=["read", "write", "ingest"])
        body = simulate(tenant=tenant, raw_key=raw_key, accounts=args.accounts, months=args.months, mode=args.mode,
                        seed=args.seed, events_per_week=args.events_per_week, backfill_days=args.backfill_days,
                        horizon_days=args.horizon_days, billing_days=args.billing_days)
    finally:
        if not args.keep:
            Tenant.objects.filter(pk=tenant.pk).delete()
    summary = {k: body[k] for k in ("observations", "churned", "unscored", "auc", "auc_interval", "verdict", "note")}
    summary["components"] = {c["key"]: c["auc"] for c in body["components"]}
    summary["suggested"] = {k: body["suggested"][k] for k in ("auc", "current_auc", "in_sample_auc",
                                                              "accounts_changing_band")}
    summary["suggested"]["weights"] = [(w["key"], w["category"], w["weight"], w["direction"])
                                       for w in body["suggested"]["weights"]]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
