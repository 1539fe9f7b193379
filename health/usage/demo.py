"""Demo product usage for ``manage.py seed_demo`` (accounts/demo_data.py): a feature catalog and ~120 days
of usage events per demo tenant, written only through this app's services (``save_catalog_entry``,
``ingest_events``).

Deterministic: every choice comes from a ``random.Random`` seeded by tenant, account and *calendar date*, and
event ids are ``EVT-<account>-<date>-<n>``, so the same arguments give the same events and a second run is
all duplicates (ingestion is idempotent by event id). Only days strictly before ``today`` get events, so
nothing depends on the clock.

Accounts get a profile from their lifecycle stage and a per-account draw: *onboarding* ones start at their
contract start and ramp up with few events; some established accounts *decline* (busy three months ago,
quiet now); churned ones stop ~6 weeks ago; the rest are steady with a mild trend. Not every contact is
active, power users and admins do most of the work, weekends are quiet, and deeper features (exports, API,
automation) show up only in accounts that adopted them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import Tenant
from health.usage.models import CatalogEntry
from health.usage.services.catalog import save_catalog_entry
from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage

SEED = 20250101


HISTORY_DAYS = 120


BATCH = 1000


# (event name, feature, category, value milestone, weight, depth): depth 0 = everyone's first steps,
# 1 = regular use, 2 = advanced (only accounts that went deep).
CATALOG: tuple[tuple[str, str, str, bool, float, int], ...] = (
    ("login", "Sign-in", "Core", False, 26, 0),
    ("dashboard_viewed", "Dashboards", "Analytics", False, 34, 0),
    ("data_source_added", "Data sources", "Setup", False, 1.2, 0),
    ("teammate_invited", "Collaboration", "Collaboration", False, 0.8, 0),
    ("report_created", "Reports", "Analytics", False, 8, 1),
    ("comment_added", "Collaboration", "Collaboration", False, 6, 1),
    ("report_exported", "Exports", "Analytics", False, 5, 1),
    ("integration_connected", "Integrations", "Setup", True, 0.4, 1),
    ("alert_configured", "Alerts", "Monitoring", False, 1.5, 2),
    ("api_call", "API", "Developer", False, 12, 2),
    ("workflow_automated", "Automation", "Automation", True, 0.6, 2),
)


def seed_catalog(*, tenant: Tenant) -> int:
    """Create or correct the demo catalog entries; answers how many were written."""
    existing = {e.event_name: e for e in CatalogEntry.objects.filter(tenant=tenant)}
    written = 0
    for name, feature, category, milestone, _weight, _depth in CATALOG:
        entry = existing.get(name) or CatalogEntry(event_name=name)
        wanted = {"feature": feature, "category": category, "is_value_milestone": milestone}
        if entry.pk is not None and all(getattr(entry, k) == v for k, v in wanted.items()):
            continue
        for k, v in wanted.items():
            setattr(entry, k, v)
        save_catalog_entry(tenant=tenant, entry=entry)
        written += 1
    return written


@dataclass(frozen=True)
class _Profile:
    number: str
    start: dt.date  # no events before (contract start of onboarding accounts)
    stop: dt.date | None  # no events from (churned accounts)
    level: float  # events per active day, relative
    trend: float  # per-day log slope: negative = declining
    depth: int  # deepest feature level adopted
    contacts: tuple[str, ...]  # the active contacts
    contact_weights: tuple[float, ...]


def _profiles(slug: str, accounts: list[dict[str, Any]], contacts: dict[str, list[str]],
              today: dt.date) -> list[_Profile]:
    profiles = []
    first_day = today - dt.timedelta(days=HISTORY_DAYS)
    for account in accounts:
        number = account["external_id"]
        rng = random.Random(f"{SEED}:{slug}:usage-profile:{number}")
        stage = account["lifecycle_stage"]
        seats = int(account["seats"])
        level = math.log10(max(seats, 2)) * rng.uniform(0.6, 1.4)
        start, stop, trend = first_day, None, rng.uniform(0.0, 0.008)
        depth = rng.choices((0, 1, 2), weights=(1, 4, 3))[0]
        active_share = rng.uniform(0.45, 0.9)
        contract_start = dt.date.fromisoformat(account["contract_start"])
        if stage == "onboarding":
            start = max(first_day, contract_start)
            level *= 0.35
            trend = 0.02  # ramping up
            depth = min(depth, rng.choice((0, 0, 1)))
            active_share = rng.uniform(0.2, 0.5)
        elif stage == "churned":
            stop = today - dt.timedelta(days=rng.randint(35, 55))
            trend = -0.02
        elif rng.random() < 0.22:
            trend = rng.uniform(-0.04, -0.02)  # declining: the accounts a CSM should look at
            active_share *= 0.8
        owned = contacts.get(number, [])
        k = max(1, round(len(owned) * active_share)) if owned else 0
        active = owned[:2] + rng.sample(owned[2:], max(0, k - 2)) if k > 2 else owned[:k]
        # The admin and the champion (the first two contacts) do most of the work.
        weights = tuple(3.0 if c in owned[:2] else rng.uniform(0.3, 1.5) for c in active)
        profiles.append(_Profile(number, start, stop, level, trend, depth, tuple(active), weights))
    return profiles


def usage_items(*, slug: str, timezone: str, accounts: list[dict[str, Any]], contacts: dict[str, list[str]],
                today: dt.date, total: int) -> list[dict[str, Any]]:
    """Exactly ``total`` events (fewer only if no account can have any) for ``ingest_events``, oldest first.

    ``accounts`` are the seed's account items; ``contacts`` maps an account external id to its contacts'
    external ids (first ones are the account's admin and champion).
    """
    profiles = _profiles(slug, accounts, contacts, today)
    cells: list[tuple[_Profile, dt.date]] = []
    weights: list[float] = []
    for day_no in range(HISTORY_DAYS, 0, -1):
        day = today - dt.timedelta(days=day_no)
        weekday = 0.18 if day.weekday() >= 5 else 1.0
        for p in profiles:
            if day < p.start or (p.stop is not None and day >= p.stop):
                continue
            age = (day - p.start).days
            if p.trend >= 0.015:  # onboarding: ramping up from the contract start
                trend = min(1.0, 0.15 + age / 40)
            elif p.trend < 0:  # declining: as busy as the others until ~10 weeks ago, then falling off
                trend = math.exp(p.trend * max(0, age - 50))
            else:
                trend = math.exp(p.trend * (age - HISTORY_DAYS / 2))
            cells.append((p, day))
            weights.append(p.level * weekday * trend)
    if not cells or total <= 0:
        return []
    # Which (account, day) each event falls in: one draw of ``total`` from the weights, fixed by the seed.
    rng = random.Random(f"{SEED}:{slug}:usage-cells:{today.isoformat()}")
    cumulative = list(itertools.accumulate(weights))
    counts: dict[int, int] = {}
    for _ in range(total):
        index = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
        counts[index] = counts.get(index, 0) + 1
    zone = zoneinfo.ZoneInfo(timezone)
    items = []
    for index in sorted(counts):
        profile, day = cells[index]
        items.extend(_day_events(slug, profile, day, counts[index], zone))
    items.sort(key=lambda item: item["occurred_at"])
    return items


def _day_events(slug: str, p: _Profile, day: dt.date, count: int, zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    rng = random.Random(f"{SEED}:{slug}:usage:{p.number}:{day.isoformat()}")
    names = [row[0] for row in CATALOG if row[5] <= p.depth]
    name_weights = [row[4] for row in CATALOG if row[5] <= p.depth]
    events = []
    stamp = day.strftime("%Y%m%d")
    for n in range(count):
        minute = int(min(max(rng.gauss(13.5 * 60, 150), 6 * 60), 23 * 60 + 59))
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randint(0, 59)), tzinfo=zone)
        name = rng.choices(names, weights=name_weights)[0]
        item: dict[str, Any] = {
            "event_id": f"EVT-{p.number}-{stamp}-{n + 1}",
            "account": p.number,
            "name": name,
            "occurred_at": local.astimezone(dt.UTC).isoformat(),
        }
        if p.contacts and name != "api_call":  # API calls come from a service token, not a person
            item["contact"] = rng.choices(p.contacts, weights=p.contact_weights)[0]
        if name == "report_exported":
            item["properties"] = {"format": rng.choice(("csv", "xlsx", "pdf"))}
        events.append(item)
    return events


@dataclass
class UsageSummary:
    accepted: int = 0
    duplicates: int = 0


class DemoUsageError(RuntimeError):
    pass


def seed_usage(*, tenant: Tenant, accounts: list[dict[str, Any]], contacts: dict[str, list[str]], today: dt.date,
               total: int, progress: Callable[[int], None] = lambda n: None) -> UsageSummary:
    """Ingest the demo events of ``tenant`` in batches of :data:`BATCH` (caller enters the tenant scope)."""
    items = usage_items(slug=tenant.slug, timezone=tenant.timezone, accounts=accounts, contacts=contacts,
                        today=today, total=total)
    # Events are dated before ``today``; a pinned future ``--today`` must not trip the future-skew check.
    now = max(dt.datetime.now(dt.UTC), dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))
    summary = UsageSummary()
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        result = ingest_events(tenant=tenant, items=batch, now=now)
        if result.rejected:
            raise DemoUsageError(f"{tenant.slug} usage events: rejected {result.rejected[:3]}")
        summary.accepted += result.accepted
        summary.duplicates += result.duplicates
        progress(len(batch))
    # Fold the staged batches in now (``health.usage.services.rollups``): the demo's rollups and seen times are complete
    # without a Celery worker.
    merge_pending_usage(tenant=tenant)
    return summary
