"""What each rule kind sees on a local day ``d``, and the cause key that names its episode.

Each detector reads set-based (a fixed number of queries per rule, whatever the number of accounts) and
answers :class:`Hit` rows; health.alerts.services turns new causes into alerts and tasks. The cause key is
what makes an alert once-per-episode: evaluating again (the same day, the next day while the cause lasts,
two evaluations at once) finds the same key and raises nothing; a new episode has a new key.

- ``score_drop`` (points X, days Y): score(d) <= score(d - Y) - X, from the stored score rows. Key
  ``drop:<first day of the run>``: the run is the consecutive days, back from d, on which the drop held
  (a day whose row or whose row Y days earlier is missing neither breaks nor extends it), looked for up
  to 90 days back. A recovery (a day the drop did not hold) ends the episode.
- ``turns_red`` (band, blank = the lowest band of the scorecard version of each row): the band of d is
  red. Key ``red:<first red day of the run>`` (the days back from d whose band was red; days without a
  row are skipped, up to 90 days back). Red again after a non-red day is a new episode.
- ``first_90_days`` (utilization below U, untrained share above S, grace G): accounts whose start (contract
  start, else the local day the account was created) lies G to 89 days before d; seat gap = license
  utilization over the 30 days ending d below U (accounts with seats only); untrained = (active users
  - trained users) / active users above S (a lower bound of the untrained share among active users,
  from the usage figures' seat funnel). Key ``first90:<start>``: one alert per onboarding.
- ``renewal_at_risk`` (days N): renewal date within d to d + N while the band of d is not the top band
  of the row's scorecard version. Key ``renewal:<renewal date>``: the next renewal is a new episode.
- ``detractor`` (days N): an NPS answer 0-6 submitted in the N local days ending d. Key ``response:<id>``.
- ``no_trained_admin`` (grace G): no contact with the persona "admin" has completed a learning path
  (learning's coverage flag), for accounts started at least G days before d. Key ``admin:<start>``: once
  per contract start (a renewed contract with a new start date asks again).
- ``usage_stops`` (days N): the account had usage events, the last one before the N local days ending d.
  Key ``stopped:<last active day>``: usage that resumes and stops again is a new episode.

Churned accounts raise nothing (the risk is no longer ahead). Scores are the computed ones: an override
changes what the pages show, not what the rules see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import LifecycleStage, Tenant
from accounts.selectors import account_choices
from health.alerts.models import RuleKind
from health.alerts.selectors import (
    LOOKBACK_DAYS,
    lowest_band,
    score_series,
    scores_on,
    top_band,
    version_bands,
)
from health.scores.inputs import local_bounds
from health.usage.selectors.adoption import adoption_by_account, last_active_day_by_account
from learning.reports.coverage import trained_admins_by_account
from surveys.selectors import nps_answers_at_most

FIRST_DAYS = 90
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class Hit:
    account_id: int
    cause_key: str
    title: str
    detail: str = ""
    facts: dict[str, Any] = field(default_factory=dict)


def _days(day: dt.date, n: int) -> dt.date:
    return day - dt.timedelta(days=n)


def run_start(day: dt.date, held: dict[dt.date, bool], *, lookback: int = LOOKBACK_DAYS) -> dt.date:
    """The first day of the run of days ending ``day`` on which the cause held: walking back from ``day``,
    a day where it did not hold ends the run, a day absent from ``held`` is skipped. Pure."""
    start = day
    for back in range(1, lookback + 1):
        other = _days(day, back)
        if other not in held:
            continue
        if not held[other]:
            break
        start = other
    return start


def _fmt(value: float) -> str:
    return f"{value:.0f}"


def score_drop(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    points, days = params["points"], params["days"]
    today = {r["account_id"]: r for r in scores_on(tenant=tenant, day=day, account_ids=ids)}
    before = {r["account_id"]: r for r in scores_on(tenant=tenant, day=_days(day, days), account_ids=list(today))}
    hit_ids = [a for a, r in today.items() if a in before and before[a]["score"] - r["score"] >= points]
    series = score_series(tenant=tenant, account_ids=hit_ids, start=_days(day, LOOKBACK_DAYS + days), end=day)
    hits = []
    for account_id in hit_ids:
        rows = series[account_id]
        held = {d: rows[_days(d, days)]["score"] - r["score"] >= points
                for d, r in rows.items() if _days(d, days) in rows}
        start = run_start(day, held)
        was, now = before[account_id]["score"], today[account_id]["score"]
        hits.append(Hit(account_id, f"drop:{start.isoformat()}",
                        f"Health dropped {_fmt(was - now)} points in {days} days ({_fmt(was)} -> {_fmt(now)})",
                        f"Score {_fmt(was)} on {_days(day, days)}, {_fmt(now)} on {day}; dropping by at least "
                        f"{points} points since {start}.",
                        {"before": was, "after": now, "points": points, "days": days, "since": start.isoformat()}))
    return hits


def turns_red(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    wanted = params["band"]
    today = scores_on(tenant=tenant, day=day, account_ids=ids)
    bands = version_bands(tenant=tenant, version_ids=[r["version_id"] for r in today])

    def red(row: dict, bands_of: dict[int, dict]) -> bool:
        return row["band"] == (wanted or lowest_band(bands_of.get(row["version_id"], {})))

    reds = {r["account_id"]: r for r in today if red(r, bands)}
    series = score_series(tenant=tenant, account_ids=list(reds), start=_days(day, LOOKBACK_DAYS), end=day)
    more = {r["version_id"] for rows in series.values() for r in rows.values()} - set(bands)
    bands.update(version_bands(tenant=tenant, version_ids=more))
    hits = []
    for account_id, row in reds.items():
        start = run_start(day, {d: red(r, bands) for d, r in series[account_id].items()})
        hits.append(Hit(account_id, f"red:{start.isoformat()}", f"Health turned {row['band']} ({_fmt(row['score'])})",
                        f"Band {row['band']} since {start} (score {_fmt(row['score'])} on {day}).",
                        {"band": row["band"], "score": row["score"], "since": start.isoformat()}))
    return hits


def renewal_at_risk(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    within = params["days"]
    rows = scores_on(tenant=tenant, day=day, account_ids=ids, renewal_between=(day, _days(day, -within)))
    bands = version_bands(tenant=tenant, version_ids=[r["version_id"] for r in rows])
    hits = []
    for r in rows:
        top = top_band(bands.get(r["version_id"], {}))
        if not r["band"] or r["band"] == top:
            continue
        renewal = r["account__renewal_date"]
        left = (renewal - day).days
        hits.append(Hit(r["account_id"], f"renewal:{renewal.isoformat()}",
                        f"Renewal on {renewal} ({left} days) while {r['band']} ({_fmt(r['score'])})",
                        f"The renewal is {left} days away and the health band is {r['band']}, not {top}.",
                        {"renewal_date": renewal.isoformat(), "band": r["band"], "score": r["score"]}))
    return hits


def detractor(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    since, until = local_bounds(tenant, _days(day, params["days"] - 1), day)
    hits = []
    for a in nps_answers_at_most(tenant=tenant, account_ids=ids, since=since, until=until, max_score=DETRACTOR_MAX):
        on = timezone.localtime(a["submitted_at"], tenant.zone).date()
        comment = " ".join(a["comment"].split())
        hits.append(Hit(a["account_id"], f"response:{a['id']}", f"Detractor: NPS {a['score']} on {on}",
                        f"NPS answer {a['score']} on {on}." + (f" Comment: “{comment[:1000]}”" if comment else ""),
                        {"response_id": a["id"], "score": a["score"], "answered_on": on.isoformat()}))
    return hits


def _started(tenant: Tenant, ids: Sequence[int] | None, *, earliest: dt.date | None,
             latest: dt.date) -> list[tuple[int, dt.date]]:
    """Accounts not churned whose start (contract start, else creation day) lies in [earliest, latest], with it.
    One query; the creation day is compared in the tenant's zone."""
    low, _ = local_bounds(tenant, earliest, earliest) if earliest else (None, None)
    _, high = local_bounds(tenant, latest, latest)
    by_contract = Q(contract_start__lte=latest) & (Q(contract_start__gte=earliest) if earliest else Q())
    by_creation = Q(contract_start__isnull=True, created_at__lt=high) & (Q(created_at__gte=low) if low else Q())
    rows = account_choices(tenant).exclude(lifecycle_stage=LifecycleStage.CHURNED).filter(by_contract | by_creation)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return [(pk, start or timezone.localtime(created, tenant.zone).date())
            for pk, start, created in rows.values_list("pk", "contract_start", "created_at")]


def first_90_days(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    started = dict(_started(tenant, ids, earliest=_days(day, FIRST_DAYS - 1), latest=_days(day, params["grace_days"])))
    figures = adoption_by_account(tenant=tenant, account_ids=list(started), today=day) if started else {}
    hits = []
    for account_id, start in started.items():
        f = figures[account_id]
        seen = []
        utilization = f.license_utilization
        if utilization is not None and utilization < params["utilization_below"]:
            seen.append(f"seat gap (license utilization {utilization:.0%} < {params['utilization_below']:.0%}, "
                        f"{f.active_in_window} active of {f.seats} seats)")
        untrained = (f.active_in_window - f.trained) / f.active_in_window if f.active_in_window else None
        if untrained is not None and untrained > params["untrained_share_above"]:
            seen.append(f"untrained users ({untrained:.0%} of active users untrained > "
                        f"{params['untrained_share_above']:.0%})")
        if seen:
            hits.append(Hit(account_id, f"first90:{start.isoformat()}",
                            f"First 90 days at risk: {'; '.join(seen)}",
                            f"Day {(day - start).days + 1} of 90 since {start}: {'; '.join(seen)}.",
                            {"start": start.isoformat(), "license_utilization": utilization,
                             "untrained_share": untrained, "active": f.active_in_window, "trained": f.trained,
                             "seats": f.seats}))
    return hits


def no_trained_admin(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    started = dict(_started(tenant, ids, earliest=None, latest=_days(day, params["grace_days"])))
    flags = trained_admins_by_account(tenant=tenant, account_ids=list(started), now=timezone.now()) if started else {}
    return [Hit(pk, f"admin:{start.isoformat()}", "No trained admin",
                f"No contact with the persona “admin” has completed a learning path (account started {start}).",
                {"start": start.isoformat()})
            for pk, start in started.items() if flags.get(pk) == "none"]


def usage_stops(tenant: Tenant, day: dt.date, params: dict, ids: Sequence[int] | None) -> list[Hit]:
    days = params["days"]
    quiet_from = _days(day, days - 1)
    last = last_active_day_by_account(tenant=tenant, today=day, account_ids=ids)
    return [Hit(pk, f"stopped:{on.isoformat()}", f"Usage stopped: no events since {on}",
                f"No usage events in the {days} days ending {day}; the last one was on {on} "
                f"({(day - on).days} days ago).", {"last_active": on.isoformat(), "days": days})
            for pk, on in last.items() if on < quiet_from]


DETECTORS: dict[str, Callable[[Tenant, dt.date, dict, Sequence[int] | None], list[Hit]]] = {
    RuleKind.SCORE_DROP: score_drop,
    RuleKind.TURNS_RED: turns_red,
    RuleKind.FIRST_90_DAYS: first_90_days,
    RuleKind.RENEWAL_AT_RISK: renewal_at_risk,
    RuleKind.DETRACTOR: detractor,
    RuleKind.NO_TRAINED_ADMIN: no_trained_admin,
    RuleKind.USAGE_STOPS: usage_stops,
}
