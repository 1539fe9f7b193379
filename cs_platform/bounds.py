"""The accepted range of every input (issue 10): one window for timestamps and dates, and the
column ranges of numbers.

Times and dates.

From 2000-01-01T00:00Z (history is welcome; nothing this product tracks is older) to ten years after
now (renewals and scheduled calls are planned ahead, nothing further). Both ends are far inside what
PostgreSQL and Python accept in every time zone, so a stored value can always be read, shifted into a
tenant's zone and formatted: ``9999-12-31T23:00:00-12:00`` is year 10000 in UTC and broke every later
read. Dates use the same window (2000-01-01 to today + ten years).

Callers compare, they do not convert: comparing aware datetimes never overflows, ``astimezone`` can.
Text is parsed only when it is ASCII: ``\\d`` and Django's date parsers accept Unicode digits
(``"٢٠٢٦-01"``).

Numbers. The integer ranges of PostgreSQL's columns, for every serializer, form and plain validator
that takes a number: a value past its column's range would be a ``DataError`` (a 500, or a
whole bulk batch lost) instead of a 400 naming the field. ``INT4_MAX`` is also the bound of seconds
stored in an ``integer`` column, hence ``INT4_MAX // 60`` for minutes that the code turns into seconds.
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


class TimeInputError(ValueError):
    """Why text is not an accepted timestamp: ``code`` is ``invalid``, ``naive`` or ``out_of_range``
    (the fields word the first two their own way; the third carries its message)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code, self.message = code, message


def parse_offset_time(text: str) -> dt.datetime:
    """An ISO 8601 date-time with a UTC offset inside the window, from the API's body fields and query
    filters alike; else :class:`TimeInputError`."""
    parsed = parse_aware(text)
    if parsed is None:
        raise TimeInputError("invalid")
    if timezone.is_naive(parsed):
        raise TimeInputError("naive")
    message = time_error(parsed)
    if message:
        raise TimeInputError("out_of_range", message)
    return parsed


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


INT4_MAX = 2**31 - 1  # integer / IntegerField, PositiveIntegerField
INT4_MIN = -(2**31)
INT8_MAX = 2**63 - 1  # bigint
MINUTES_IN_INT4_SECONDS = INT4_MAX // 60


def whole_number(raw: str | None, *, low: int = 0, high: int = INT4_MAX) -> int | None:
    """A query or form parameter as an int in ``[low, high]``, or None. ``str.isdigit`` alone lets "²"
    (a digit to Unicode, not to ``int``) and 5,000-digit strings (past Python's conversion limit) reach
    ``int()``: both were 500s."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if low <= value <= high else None
