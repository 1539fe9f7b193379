"""The weekly-active-users chart is scaled to its bars, not to seats (issue 11: 1-3 active users against
500 seats were invisible), and says where the seats line is."""

from __future__ import annotations

import re

from cs_platform.web.charts import Bar, bars_with_line


def _chart(values, seats):
    bars = [Bar(label=f"w{i}", value=v, title=f"w{i}: {v}") for i, v in enumerate(values)]
    return str(bars_with_line(bars, line_value=seats, line_label=f"Seats: {seats}", aria_label="weekly"))


def _axis_max(svg: str) -> int:
    return max(int(t) for t in re.findall(r'<text class="axis" x="32" y="[\d.]+" text-anchor="end">(\d+)</text>', svg))


def _bar_heights(svg: str) -> list[float]:
    bar = r'<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"'
    return [float(h) for h in re.findall(bar, svg)]


def test_few_active_users_against_many_seats_are_visible_bars():
    svg = _chart([1, 3, 2], seats=500)
    assert _axis_max(svg) == 5  # a round maximum above the tallest bar, not 500
    heights = _bar_heights(svg)
    assert min(heights) > 30 and max(heights) > 100  # of a 170-unit plot
    # the seats are named, not drawn as a line off the scale
    assert '<line class="ref"' not in svg
    assert "Seats: 500, above the scale" in svg


def test_seats_within_the_scale_are_a_line_and_stretch_the_axis():
    svg = _chart([3, 4, 2], seats=8)
    assert '<line class="ref"' in svg and "Seats: 8</text>" in svg
    assert "above the scale" not in svg
    assert _axis_max(svg) == 10


def test_no_seats_recorded_draws_no_line():
    svg = _chart([0, 0, 0], seats=None)
    assert '<line class="ref"' not in svg and "Seats" not in svg
    assert _axis_max(svg) == 1
