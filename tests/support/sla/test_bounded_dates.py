"""Issue 10: an SLA holiday's date is inside cs_platform.bounds' window; outside is a form error."""

from __future__ import annotations

import pytest

from cs_platform import bounds
from support.sla.calendar import CalendarError, parse_day
from support.sla.forms import HolidayForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1999-12-31", "٢٠٢٦-01-01"])
def test_holiday_date_outside_is_a_form_error(world_a, value):
    form = HolidayForm(data={"date": value, "name": "Far"})
    with world_a.scope():
        assert not form.is_valid()
    assert "date" in form.errors


@pytest.mark.parametrize("value", ["2000-01-01", None])
def test_holiday_date_just_inside_is_valid(world_a, value):
    form = HolidayForm(data={"date": value or bounds.latest_date().isoformat(), "name": "Near"})
    with world_a.scope():
        assert form.is_valid(), form.errors


def test_business_hours_take_ascii_digits_only():
    assert parse_day("09:00-17:00") == [["09:00", "17:00"]]
    with pytest.raises(CalendarError):
        parse_day("٠٩:٠٠-١٧:٠٠")
