"""Issue 10: the page form that schedules a callback takes a time inside cs_platform.bounds' window only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cs_platform import bounds
from support.desk.forms import CallbackScheduleForm


@pytest.mark.parametrize("value", ["9999-12-31T23:00", "0001-01-01T00:00", "1999-12-31T11:59",  # 23:59Z at -12:00
                                   "٢٠٢٦-01-01T10:00"])
def test_callback_time_outside_is_a_form_error(value):
    with timezone.override(dt.timezone(dt.timedelta(hours=-12))):
        form = CallbackScheduleForm(data={"due_at": value})
        assert not form.is_valid()
    assert "due_at" in form.errors


def test_callback_time_just_inside_is_valid():
    near = (bounds.latest() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for value in ("2000-01-01T12:00", near):
        form = CallbackScheduleForm(data={"due_at": value})
        assert form.is_valid(), form.errors
