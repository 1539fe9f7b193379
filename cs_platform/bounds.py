"""The one accepted window for every timestamp and date that enters the platform (issue 10).

From 2000-01-01T00:00Z (history is welcome; nothing this product tracks is older) to ten years after
now (renewals and scheduled calls are planned ahead, nothing further). Both ends are far inside what
PostgreSQL and Python accept in every time zone, so a stored value can always be read, shifted into a
tenant's zone and formatted: ``9999-12-31T23:00:00-12:00`` is year 10000 in UTC and broke every later
read. Dates use the same window (2000-01-01 to today + ten years).

Callers compare, they do not convert: comparing aware datetimes never overflows, ``astimezone`` can.
Text is parsed only when it is ASCII: ``\\d`` and Django's date parsers accept Unicode digits
(``"٢٠٢٦-01"``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
EARLIEST_DATE = EARLIEST.date()
AHEAD = dt.timedelta(days=3653)  # ten years, leap days included


def parse_aware(text: str) -> dt.datetime | None:
    """An ISO 8601 date-time from ASCII text, or None if it is not one (naive results are returned:
    the caller says "include an offset")."""
    text = text.strip()
    if not text.isascii():
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def latest(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + AHEAD


def latest_date(today: dt.date | None = None) -> dt.date:
    return (today or timezone.now().date()) + AHEAD


def time_error(moment: dt.datetime, *, now: dt.datetime | None = None) -> str | None:
    """Why an aware ``moment`` is outside the window, or None."""
    if moment < EARLIEST:
        return "must not be before 2000-01-01T00:00:00Z"
    if moment > latest(now):
        return "must not be more than 10 years in the future"
    return None


def date_error(day: dt.date, *, today: dt.date | None = None) -> str | None:
    """Why ``day`` is outside the window, or None."""
    if day < EARLIEST_DATE:
        return "must not be before 2000-01-01"
    if day > latest_date(today):
        return "must not be more than 10 years in the future"
    return None


def month_error(year: int, month: int, *, today: dt.date | None = None) -> str | None:
    """Why the month ``year-month`` is outside the window, or None (its first day must be inside)."""
    if not 1 <= month <= 12 or not 1 <= year <= 9999:
        return "not a valid month; use YYYY-MM"
    return date_error(dt.date(year, month, 1), today=today)
