"""Reads of the portfolio page: every figure aggregated in SQL from each account's latest health score row
(``DISTINCT ON (account)`` over ``health.HealthScore``), for a CSM's accounts or all of them, churned accounts
left out. Each function is one or two queries whatever the number of accounts or rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    DateField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Floor, Least, RowNumber, TruncWeek

from accounts.models import LifecycleStage, Tenant
from accounts.selectors import live_accounts
from health.scores.definitions import DEFAULT_BANDS
from health.scores.models import HealthScore

BINS = 10  # the histogram's bins: 0-10, 10-20, ... 90-100 (100 falls in the last)
MOVERS = 10
MOVER_DAYS = 7
TREND_WEEKS = 12
RENEWAL_WINDOWS = (30, 90)
UNSCORED_LIMIT = 10
NO_BAND = ""  # the band of a row whose score is empty (no component had data)

DEFINITIONS = {
    "latest": "Each account's latest health score row up to today (the nightly recompute writes one a day); "
              "churned accounts are left out.",
    "distribution": "How many accounts have their latest score in each 10-point bin (0-10, ..., 90-100; 100 "
                    "counts in the last bin). Accounts whose latest row has no score are not in a bin.",
    "by_band": "Accounts and the sum of their ARR (as recorded on the account) by the band of their latest "
               "score; \u201cno score\u201d = the latest row had no input with data.",
    "renewals": "Accounts whose renewal date is from today to 30 (or 90) days ahead, in the tenant's time zone, "
                "by the band of their latest score, and the sum of their ARR.",
    "movers": f"Score of the latest row minus the score of the latest row at least {MOVER_DAYS} days older "
              f"(on or before today - {MOVER_DAYS} days): the {MOVERS} biggest falls and the {MOVERS} biggest "
              "rises. Accounts without both scores are left out.",
    "trend": f"For each of the last {TREND_WEEKS} weeks (Monday to Sunday; the current one up to today): the "
             "average of each account's latest score of that week, and how many accounts were in each band.",
    "unscored": "Accounts (churned ones left out) with no health score row at all: never computed, e.g. added "
                "since the last nightly run.",
    "health_column": "Band, score (0-100) and confidence of the account's latest health score row up to today; "
                     "confidence = the share of the scorecard's weight whose inputs had data. A dash: never "
                     "computed.",
    "confidence": "The share of the scorecard's weight whose inputs had data (METRICS.md \"Health\").",
}


def band_order(bands: set[str]) -> list[str]:
    """Worst first as the default scorecard orders them (red, yellow, green), other names after, then no score."""
    known = [b for b in DEFAULT_BANDS if b in bands]
    return known + sorted(b for b in bands if b not in DEFAULT_BANDS and b != NO_BAND) + (
        [NO_BAND] if NO_BAND in bands else [])


def _rows(tenant: Tenant, owner: AbstractBaseUser | None) -> QuerySet:
    rows = HealthScore.objects.filter(tenant=tenant).exclude(account__lifecycle_stage=LifecycleStage.CHURNED)
    return rows.filter(account__owner_csm=owner) if owner is not None else rows


def latest_rows(*, tenant: Tenant, owner: AbstractBaseUser | None, today: dt.date) -> QuerySet:
    """Each account's latest row up to ``today``: a subquery of ``DISTINCT ON (account_id)``, so what is
    built on it stays one SQL statement."""
    latest = (_rows(tenant, owner).filter(day__lte=today).order_by("account_id", "-day")
              .distinct("account_id").values("pk"))
    return HealthScore.objects.filter(tenant=tenant, pk__in=Subquery(latest))


def distribution(*, tenant: Tenant, owner: AbstractBaseUser | None, today: dt.date) -> list[int]:
    """Accounts per 10-point bin of their latest score, ``BINS`` counts (one query)."""
    found = dict(latest_rows(tenant=tenant, owner=owner, today=today).filter(score__isnull=False)
                 .annotate(bin=Least(Cast(Floor(F("score") / (100 / BINS)), IntegerField()), BINS - 1))
                 .order_by().values("bin").annotate(n=Count("pk")).values_list("bin", "n"))
    return [found.get(i, 0) for i in range(BINS)]


@dataclass(frozen=True)
class BandRow:
    band: str
    accounts: int
    arr: Decimal
    renewals: list[tuple[int, int, Decimal]]  # per RENEWAL_WINDOWS: (days, accounts renewing within them, ARR)


def by_band(*, tenant: Tenant, owner: AbstractBaseUser | None, today: dt.date) -> list[BandRow]:
    """Accounts, ARR and renewals in the next 30 / 90 days by the band of the latest score (one query)."""
    figures = {}
    for days in RENEWAL_WINDOWS:
        window = Q(account__renewal_date__gte=today, account__renewal_date__lte=today + dt.timedelta(days=days))
        figures[f"renew_{days}"] = Count("pk", filter=window)
        figures[f"renew_arr_{days}"] = Coalesce(Sum("account__arr", filter=window), Decimal(0))
    rows = {row["band"]: row for row in latest_rows(tenant=tenant, owner=owner, today=today).order_by()
            .values("band").annotate(n=Count("pk"), arr=Coalesce(Sum("account__arr"), Decimal(0)), **figures)}
    return [BandRow(band, rows[band]["n"], rows[band]["arr"],
                    [(d, rows[band][f"renew_{d}"], rows[band][f"renew_arr_{d}"]) for d in RENEWAL_WINDOWS])
            for band in band_order(set(rows))]


@dataclass(frozen=True)
class Mover:
    account_id: int
    name: str
    score: float
    before: float
    band: str

    @property
    def delta(self) -> float:
        return self.score - self.before


def movers(*, tenant: Tenant, owner: AbstractBaseUser | None, today: dt.date,
           limit: int = MOVERS) -> tuple[list[Mover], list[Mover]]:
    """The biggest falls and rises over ``MOVER_DAYS`` days (two queries: down, up)."""
    before = (HealthScore.objects.filter(tenant=tenant, account=OuterRef("account"), score__isnull=False,
                                         day__lte=today - dt.timedelta(days=MOVER_DAYS))
              .order_by("-day").values("score")[:1])
    rows = (latest_rows(tenant=tenant, owner=owner, today=today).filter(score__isnull=False)
            .annotate(before=Subquery(before, output_field=FloatField())).filter(before__isnull=False)
            .annotate(delta=F("score") - F("before")))

    def pick(queryset: QuerySet) -> list[Mover]:
        return [Mover(*row) for row in queryset[:limit].values_list("account_id", "account__name", "score",
                                                                   "before", "band")]

    down = pick(rows.filter(delta__lt=0).order_by("delta", "account__name", "account_id"))
    up = pick(rows.filter(delta__gt=0).order_by("-delta", "account__name", "account_id"))
    return down, up


@dataclass(frozen=True)
class TrendWeek:
    week: dt.date  # its Monday
    average: float | None
    counts: list[int]  # accounts per band, in the order of the bands trend() answers


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def trend(*, tenant: Tenant, owner: AbstractBaseUser | None, today: dt.date,
          weeks: int = TREND_WEEKS) -> tuple[list[TrendWeek], list[str]]:
    """Per week, each account's latest row of that week: the average score and the accounts per band (one
    query: the first row of each (account, week) by a window, grouped by week and band). Answers the weeks
    and the bands seen."""
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    week = TruncWeek("day", output_field=DateField())
    latest = (_rows(tenant, owner).filter(day__gte=first, day__lte=today)
              .annotate(nth=Window(RowNumber(), partition_by=[F("account_id"), week], order_by=F("day").desc()))
              .filter(nth=1).values("pk"))
    grouped = (HealthScore.objects.filter(tenant=tenant, pk__in=Subquery(latest))
               .annotate(week=TruncWeek("day", output_field=DateField())).order_by()
               .values("week", "band").annotate(n=Count("pk"), scored=Count("score"), total=Sum("score")))
    cells: dict[dt.date, dict[str, tuple[int, int, float]]] = {}
    for row in grouped:
        cells.setdefault(row["week"], {})[row["band"]] = (row["n"], row["scored"], row["total"] or 0.0)
    bands = band_order({band for week in cells.values() for band in week})
    out = []
    for i in range(weeks):
        monday = first + dt.timedelta(weeks=i)
        week = cells.get(monday, {})
        scored = sum(c[1] for c in week.values())
        out.append(TrendWeek(monday, sum(c[2] for c in week.values()) / scored if scored else None,
                             [week.get(band, (0, 0, 0.0))[0] for band in bands]))
    return out, bands


@dataclass(frozen=True)
class Unscored:
    count: int
    first: list  # up to UNSCORED_LIMIT accounts, by name


def unscored(*, tenant: Tenant, owner: AbstractBaseUser | None, limit: int = UNSCORED_LIMIT) -> Unscored:
    """Live accounts with no score row at all (two queries: the count, the first by name)."""
    scored = HealthScore.objects.filter(tenant=tenant).values("account_id")
    accounts = live_accounts(tenant=tenant, owner=owner).exclude(pk__in=scored)
    return Unscored(count=accounts.count(), first=list(accounts.order_by("name", "pk")[:limit]))


def health_label(score: float | None, band: str, confidence: float) -> str:
    if score is None:
        return f"no score (confidence {confidence:.0%})"
    return f"{band} {score:.0f} (confidence {confidence:.0%})"


def health_by_account(*, tenant: Tenant, account_ids: list[int], now: dt.datetime) -> dict[int, str]:
    """The account column "Health": band, score and confidence of each account's latest row up to the
    tenant's today (one ``DISTINCT ON`` query)."""
    today = now.astimezone(tenant.zone).date()
    rows = (HealthScore.objects.filter(tenant=tenant, account_id__in=account_ids, day__lte=today)
            .order_by("account_id", "-day").distinct("account_id")
            .values_list("account_id", "score", "band", "confidence"))
    return {account_id: health_label(score, band, confidence) for account_id, score, band, confidence in rows}
