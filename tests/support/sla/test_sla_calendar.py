"""Business-hours arithmetic (support.sla.calendar): weekends, holidays, DST, calendar vs business."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from support.sla.calendar import (
    CalendarError,
    add_business_seconds,
    add_calendar_seconds,
    business_seconds_between,
    parse_day,
    parse_weekly_hours,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NY = zoneinfo.ZoneInfo("America/New_York")
NINE_TO_FIVE = {str(d): [["09:00", "17:00"]] for d in range(5)} | {"5": [], "6": []}
ALWAYS = {str(d): [["00:00", "24:00"]] for d in range(7)}
HOUR = 3600


def local(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def add(start, seconds, zone=PARIS, hours=None, holidays=()):
    return add_business_seconds(start, seconds, zone=zone, weekly_hours=hours or NINE_TO_FIVE, holidays=holidays)


def test_friday_afternoon_rolls_over_the_weekend():
    # 2026-11-20 is a Friday: 30 minutes left on Friday, 30 more on Monday.
    due = add(local(PARIS, 2026, 11, 20, 16, 30), HOUR)
    assert due == local(PARIS, 2026, 11, 23, 9, 30)


def test_holiday_monday_moves_to_tuesday():
    due = add(local(PARIS, 2026, 11, 20, 16, 30), HOUR, holidays={dt.date(2026, 11, 23)})
    assert due == local(PARIS, 2026, 11, 24, 9, 30)


def test_within_the_day_and_exactly_at_closing():
    assert add(local(PARIS, 2026, 11, 24, 10, 0), HOUR) == local(PARIS, 2026, 11, 24, 11, 0)
    assert add(local(PARIS, 2026, 11, 24, 16, 0), HOUR) == local(PARIS, 2026, 11, 24, 17, 0)


def test_opened_outside_hours_starts_at_next_opening():
    assert add(local(PARIS, 2026, 11, 24, 20, 0), HOUR) == local(PARIS, 2026, 11, 25, 10, 0)
    assert add(local(PARIS, 2026, 11, 22, 12, 0), 0) == local(PARIS, 2026, 11, 23, 9, 0)  # Sunday, zero target


def test_multi_day_target_and_split_days():
    hours = {str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(5)}
    # 7 working hours a day; 10 hours from Tuesday 09:00 = Tuesday (7h) + Wednesday 09:00-12:00.
    assert add(local(PARIS, 2026, 11, 24, 9, 0), 10 * HOUR, hours=hours) == local(PARIS, 2026, 11, 25, 12, 0)
    # Lunch is not working time: 11:30 + 1h = 13:30.
    assert add(local(PARIS, 2026, 11, 24, 11, 30), HOUR, hours=hours) == local(PARIS, 2026, 11, 24, 13, 30)


def test_business_hours_in_the_calendar_zone_not_utc():
    # 08:30 UTC is 09:30 in Paris (winter, UTC+1): one hour later is 10:30 Paris = 09:30 UTC.
    start = dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC)
    assert add(start, HOUR) == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    # The same instant in New York is 03:30: the day opens at 09:00 New York = 14:00 UTC.
    assert add(start, HOUR, zone=NY) == dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def test_dst_spring_forward_business_hours_keep_their_wall_clock():
    # Paris springs forward on Sunday 2026-03-29. Friday 16:30 + 1h = Monday 09:30 *local* (UTC+2 now).
    due = add(local(PARIS, 2026, 3, 27, 16, 30), HOUR)
    assert due == local(PARIS, 2026, 3, 30, 9, 30)
    assert due.astimezone(dt.UTC).hour == 7


def test_dst_fall_back_business_hours_keep_their_wall_clock():
    due = add(local(PARIS, 2026, 10, 23, 16, 30), HOUR)  # clocks go back on Sunday 2026-10-25
    assert due == local(PARIS, 2026, 10, 26, 9, 30)
    assert due.astimezone(dt.UTC).hour == 8


def test_dst_day_of_a_24h_calendar_has_23_or_25_real_hours():
    # Business seconds are real elapsed seconds: across spring-forward the local clock shows one hour more.
    start = local(PARIS, 2026, 3, 29, 0, 0)
    assert add(start, 24 * HOUR, hours=ALWAYS) == local(PARIS, 2026, 3, 30, 1, 0)
    assert business_seconds_between(start, local(PARIS, 2026, 3, 30, 0, 0), zone=PARIS,
                                     weekly_hours=ALWAYS) == 23 * HOUR
    fall = local(PARIS, 2026, 10, 25, 0, 0)
    assert business_seconds_between(fall, local(PARIS, 2026, 10, 26, 0, 0), zone=PARIS,
                                    weekly_hours=ALWAYS) == 25 * HOUR


def test_dst_gap_inside_working_hours():
    # Hours 01:00-05:00 on the night Paris skips 02:00-03:00: only 3 real hours that day.
    hours = {"6": [["01:00", "05:00"]]}
    start = local(PARIS, 2026, 3, 29, 0, 0)
    assert business_seconds_between(start, local(PARIS, 2026, 3, 29, 12, 0), zone=PARIS,
                                    weekly_hours=hours) == 3 * HOUR


def test_calendar_seconds_ignore_hours_and_weekends():
    start = local(PARIS, 2026, 11, 20, 16, 30)
    assert add_calendar_seconds(start, HOUR) == local(PARIS, 2026, 11, 20, 17, 30)
    # Across DST: calendar seconds are elapsed seconds, the wall clock shifts.
    assert add_calendar_seconds(local(PARIS, 2026, 3, 29, 1, 0), 2 * HOUR) == local(PARIS, 2026, 3, 29, 4, 0)


def test_business_seconds_between_over_a_weekend_and_holiday():
    start, end = local(PARIS, 2026, 11, 20, 16, 30), local(PARIS, 2026, 11, 24, 9, 30)
    assert business_seconds_between(start, end, zone=PARIS, weekly_hours=NINE_TO_FIVE) == 9 * HOUR
    assert business_seconds_between(start, end, zone=PARIS, weekly_hours=NINE_TO_FIVE,
                                    holidays={dt.date(2026, 11, 23)}) == HOUR
    assert business_seconds_between(end, start, zone=PARIS, weekly_hours=NINE_TO_FIVE) == 0


def test_round_trip_add_then_measure():
    start = local(NY, 2026, 11, 25, 15, 0)
    for seconds in (0, 60, HOUR, 7 * HOUR, 40 * HOUR):
        due = add(start, seconds, zone=NY)
        assert business_seconds_between(start, due, zone=NY, weekly_hours=NINE_TO_FIVE) == seconds


@pytest.mark.parametrize("hours", [
    {"0": [["17:00", "09:00"]]},
    {"0": [["09:00", "12:00"], ["11:00", "13:00"]]},
    {"7": [["09:00", "17:00"]]},
    {"0": [["9am", "5pm"]]},
    {"0": [["24:00", "24:00"]]},
])
def test_bad_hours_are_refused(hours):
    with pytest.raises(CalendarError):
        parse_weekly_hours(hours)


def test_a_calendar_without_hours_or_all_holidays_is_an_error():
    with pytest.raises(CalendarError):
        add(local(PARIS, 2026, 11, 20, 16, 30), HOUR, hours={"0": []})


def test_parse_day_text():
    assert parse_day("9:00-12:00, 13:00-24:00") == [["09:00", "12:00"], ["13:00", "24:00"]]
    assert parse_day("") == []
    with pytest.raises(CalendarError):
        parse_day("09:00")
