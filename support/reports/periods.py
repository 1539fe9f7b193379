"""The support report's periods: a tenant-local date range as UTC instants, one period per tenant-local month,
the whole months inside a range, the comparison period and the fiscal-year start.

A report's ``from`` / ``to`` are tenant-local dates (``to`` exclusive). A :class:`Period` carries its bounds
both as UTC instants (what the queries compare timestamps with) and as tenant-local dates (cost entries are
per local month). The rules are in support.reports.selectors ("Periods", "Cost per interaction").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import Tenant


@dataclass(frozen=True)
class Period:
    label: str | None  # "YYYY-MM" for month rows
    lo: dt.datetime  # UTC, inclusive
    hi: dt.datetime  # UTC, exclusive
    date_lo: dt.date  # the same bounds as tenant-local dates (cost entries are per local month)
    date_hi: dt.date


def local_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant at which a tenant-local day starts."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after (negative: before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _whole_month_count(date_from: dt.date, date_to: dt.date) -> int:
    """How many whole calendar months ``[date_from, date_to)`` is; 0 when it does not start and end on a
    month boundary."""
    if date_from.day != 1 or date_to.day != 1:
        return 0
    return (date_to.year - date_from.year) * 12 + date_to.month - date_from.month


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The comparison period of ``[date_from, date_to)``: a range of whole calendar months (a month, a
    quarter, a year) compares with the same number of whole months just before it, so October compares
    with September, not with the 31 days before it (which would start on 1 September only by chance);
    any other range with the same number of days immediately before it."""
    months = _whole_month_count(date_from, date_to)
    if months:
        return add_months(date_from, -months), date_from
    return date_from - (date_to - date_from), date_from


def _year_earlier(day: dt.date) -> dt.date:
    # 29 February has no counterpart a year earlier: the day before it, the 28th, stands in.
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def year_earlier(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The comparison period of a year to date: the same days one year earlier (last fiscal year to the
    same day), which a same-length range before it would not be."""
    return _year_earlier(date_from), _year_earlier(date_to - dt.timedelta(days=1)) + dt.timedelta(days=1)


def _period(label: str | None, lo: dt.date, hi: dt.date, zone: zoneinfo.ZoneInfo) -> Period:
    return Period(label, local_start(lo, zone), local_start(hi, zone), lo, hi)


def _months(date_from: dt.date, date_to: dt.date, zone: zoneinfo.ZoneInfo) -> list[Period]:
    """One period per tenant-local month of the range, the first and last clipped to it."""
    periods, month = [], date_from.replace(day=1)
    while month < date_to:
        periods.append(_period(f"{month:%Y-%m}", max(month, date_from), min(next_month(month), date_to), zone))
        month = next_month(month)
    return periods


def _whole_months(date_from: dt.date, date_to: dt.date) -> Iterable[dt.date]:
    month = date_from if date_from.day == 1 else next_month(date_from)
    while next_month(month) <= date_to:
        yield month
        month = next_month(month)


def fiscal_year_start(*, tenant: Tenant, today: dt.date) -> dt.date:
    start_month = tenant.fiscal_year_start_month or 1
    year = today.year if today.month >= start_month else today.year - 1
    return dt.date(year, start_month, 1)
