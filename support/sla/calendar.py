"""Business-hours arithmetic for SLA due times: pure functions, no database.

A calendar is working hours per weekday in the calendar's *local* time zone (``weekly_hours`` as stored
on support.BusinessCalendar: ``{"0": [["09:00", "17:00"]], ..., "6": []}``, Monday = "0"; "24:00" ends
a day) minus holiday dates. Walking it:

- Each working interval is placed on its local date and converted to an aware instant, so a DST change
  needs no special case: 09:00-17:00 is 8 real hours on any day, and a 00:00-24:00 day is 23 or 25 real
  hours on a transition day, because elapsed time is always measured between instants (UTC).
- A wall-clock bound that falls in a DST gap (e.g. 02:30 on a spring-forward night) is read with the
  offset before the gap (``fold=0``), so it maps to the instant the clocks jumped over it.
- Business seconds are real elapsed seconds inside working intervals. Calendar seconds are plain
  elapsed seconds (no calendar at all).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping

Interval = tuple[dt.time, dt.time | None]  # end None = midnight at the end of the day ("24:00")


WeeklyHours = dict[int, list[Interval]]


# A calendar without a single working second would loop forever; no real search needs ten years.
MAX_DAYS = 3660


_TIME = re.compile(r"^([01]?[0-9]|2[0-4]):([0-5][0-9])$")


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarError(ValueError):
    """Working hours that cannot be used (bad time, end before start, overlap, no hours at all)."""


def _parse_time(text: str) -> dt.time | None:
    match = _TIME.match(str(text).strip())
    if not match:
        raise CalendarError(f"{text!r} is not a time like 09:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24:
        if minute:
            raise CalendarError(f"{text!r}: a day ends at 24:00 at the latest")
        return None
    return dt.time(hour, minute)


def parse_weekly_hours(weekly_hours: Mapping) -> WeeklyHours:
    """The stored JSON as sorted intervals per weekday (0 = Monday). Raises CalendarError."""
    parsed: WeeklyHours = {day: [] for day in range(7)}
    for key, intervals in (weekly_hours or {}).items():
        try:
            day = int(key)
        except (TypeError, ValueError):
            raise CalendarError(f"weekday {key!r} is not 0 (Monday) to 6 (Sunday)") from None
        if day not in parsed:
            raise CalendarError(f"weekday {key!r} is not 0 (Monday) to 6 (Sunday)")
        for pair in intervals or []:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise CalendarError(f"{WEEKDAYS[day]}: each interval is [start, end]")
            start, end = _parse_time(pair[0]), _parse_time(pair[1])
            if start is None:
                raise CalendarError(f"{WEEKDAYS[day]}: an interval cannot start at 24:00")
            if end is not None and end <= start:
                raise CalendarError(f"{WEEKDAYS[day]}: {pair[0]}-{pair[1]} ends before it starts")
            parsed[day].append((start, end))
        parsed[day].sort(key=lambda iv: iv[0])
        for (_, end_a), (start_b, _) in zip(parsed[day], parsed[day][1:], strict=False):
            if end_a is None or end_a > start_b:
                raise CalendarError(f"{WEEKDAYS[day]}: intervals overlap")
    return parsed


def format_day(intervals: Iterable) -> str:
    """``[["09:00", "12:00"], ["13:00", "17:00"]]`` -> ``"09:00-12:00, 13:00-17:00"`` (forms, pages)."""
    return ", ".join(f"{start}-{end}" for start, end in intervals or [])


def parse_day(text: str) -> list[list[str]]:
    """The inverse of :func:`format_day`, validated: ``"9:00-12:00, 13:00-17:00"``."""
    out = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        if part.count("-") != 1:
            raise CalendarError(f"{part!r} is not an interval like 09:00-17:00")
        start, end = (p.strip() for p in part.split("-"))
        start_t, end_t = _parse_time(start), _parse_time(end)
        out.append([start_t.strftime("%H:%M") if start_t else "24:00", end_t.strftime("%H:%M") if end_t else "24:00"])
    parse_weekly_hours({"0": out})  # same rules as stored hours
    return out


def _instant(day: dt.date, time: dt.time | None, zone: dt.tzinfo) -> dt.datetime:
    if time is None:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone).astimezone(dt.UTC)
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)


def working_intervals(
    start: dt.datetime, *, zone: dt.tzinfo, hours: WeeklyHours, holidays: frozenset[dt.date] | set[dt.date]
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working intervals (UTC instants) from ``start`` on, clipped to begin no earlier than it."""
    if not any(hours.values()):
        raise CalendarError("the calendar has no working hours")
    start = start.astimezone(dt.UTC)
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if day not in holidays:
            for begin_t, end_t in hours[day.weekday()]:
                begin, end = _instant(day, begin_t, zone), _instant(day, end_t, zone)
                begin = max(begin, start)
                if begin < end:
                    yield begin, end
        day += dt.timedelta(days=1)
    raise CalendarError(f"no working time within {MAX_DAYS} days (holidays everywhere?)")


def add_business_seconds(
    start: dt.datetime, seconds: float, *, zone: dt.tzinfo | str, weekly_hours: Mapping | WeeklyHours,
    holidays: Iterable[dt.date] = (),
) -> dt.datetime:
    """The instant when ``seconds`` of working time after ``start`` have passed (UTC). Zero seconds
    from outside working hours is the next opening."""
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    zone = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    hours = weekly_hours if _is_parsed(weekly_hours) else parse_weekly_hours(weekly_hours)
    remaining = dt.timedelta(seconds=seconds)
    for begin, end in working_intervals(start, zone=zone, hours=hours, holidays=frozenset(holidays)):
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("unreachable: working_intervals raises when it runs out")  # pragma: no cover


def business_seconds_between(
    start: dt.datetime, end: dt.datetime, *, zone: dt.tzinfo | str, weekly_hours: Mapping | WeeklyHours,
    holidays: Iterable[dt.date] = (),
) -> float:
    """Working seconds in ``[start, end)`` (0 when end <= start)."""
    if end <= start:
        return 0.0
    zone = zoneinfo.ZoneInfo(zone) if isinstance(zone, str) else zone
    hours = weekly_hours if _is_parsed(weekly_hours) else parse_weekly_hours(weekly_hours)
    total = dt.timedelta(0)
    for begin, stop in working_intervals(start, zone=zone, hours=hours, holidays=frozenset(holidays)):
        if begin >= end:
            break
        total += min(stop, end) - begin
    return total.total_seconds()


def add_calendar_seconds(start: dt.datetime, seconds: float) -> dt.datetime:
    return start.astimezone(dt.UTC) + dt.timedelta(seconds=seconds)


def _is_parsed(weekly_hours: Mapping) -> bool:
    return bool(weekly_hours) and all(
        isinstance(k, int) and all(isinstance(iv, tuple) and isinstance(iv[0], dt.time) for iv in v)
        for k, v in weekly_hours.items()
    )
