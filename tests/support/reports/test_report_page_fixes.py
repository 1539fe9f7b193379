"""The report pages' defects of issue 11, each with the test that would have caught it: the comparison period
of a calendar month, quarter, year and year to date; error messages naming the field as the form shows it;
definitions with `code` rendered as code and no SQL function names; agents shown by the inbox's name; the
row without an agent or a team explained; every figure in a section of at most six columns."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.http import QueryDict

from support.reports.display import (
    AGENT_COLUMNS,
    PERIOD_COLUMNS,
    SECTIONS,
    TEAM_COLUMNS,
    TEAM_YTD_COLUMNS,
    code_html,
    plain_text,
)
from support.reports.forms import PeriodForm
from support.reports.periods import previous_period, year_earlier
from tests.support.reports.test_report_pages import JAN_QUERY, url
from tests.support.reports.test_reports import data  # noqa: F401 (the hand-computed fixture)

D = dt.date


@pytest.mark.parametrize("period, expected", [
    ((D(2026, 11, 1), D(2026, 12, 1)), (D(2026, 10, 1), D(2026, 11, 1))),  # November: October, not 10-02..10-31
    ((D(2026, 3, 1), D(2026, 4, 1)), (D(2026, 2, 1), D(2026, 3, 1))),  # March: all of February (28 days)
    ((D(2026, 1, 1), D(2026, 2, 1)), (D(2025, 12, 1), D(2026, 1, 1))),  # across a year end
    ((D(2026, 4, 1), D(2026, 7, 1)), (D(2026, 1, 1), D(2026, 4, 1))),  # a quarter: the previous quarter
    ((D(2025, 1, 1), D(2026, 1, 1)), (D(2024, 1, 1), D(2025, 1, 1))),  # a year: the previous year
    ((D(2026, 3, 5), D(2026, 3, 12)), (D(2026, 2, 26), D(2026, 3, 5))),  # any other range: same length before
])
def test_comparison_period(period, expected):
    assert previous_period(*period) == expected


def test_year_to_date_compares_with_the_same_days_a_year_earlier():
    assert year_earlier(D(2026, 1, 1), D(2026, 12, 2)) == (D(2025, 1, 1), D(2025, 12, 2))
    assert year_earlier(D(2023, 7, 1), D(2024, 3, 1)) == (D(2022, 7, 1), D(2023, 3, 1))  # to 29 Feb: to 28 Feb
    assert year_earlier(D(2024, 7, 1), D(2024, 7, 3)) == (D(2023, 7, 1), D(2023, 7, 3))


@pytest.mark.parametrize("query, previous", [
    ("period=this_month", (D(2026, 10, 1), D(2026, 11, 1))),
    ("period=last_month", (D(2026, 9, 1), D(2026, 10, 1))),
    ("period=ytd", (D(2025, 1, 1), D(2025, 11, 21))),
    ("period=custom&date_from=2026-10-01&date_to=2026-10-31", (D(2026, 9, 1), D(2026, 10, 1))),
    ("period=custom&date_from=2026-10-10&date_to=2026-10-19", (D(2026, 9, 30), D(2026, 10, 10))),
])
def test_picker_comparison_periods(world_a, query, previous):
    form = PeriodForm(QueryDict(query), tenant=world_a.tenant, today=D(2026, 11, 20))
    assert form.is_valid(), form.errors
    assert form.previous_dates() == previous


def test_page_compares_this_month_with_the_previous_calendar_month(world_a):
    response = world_a.client_for().get(url(world_a, "report-agents", "period=custom&date_from=2026-10-01"
                                                                       "&date_to=2026-10-31"))
    assert response.context["period"]["previous_from"] == D(2026, 9, 1)
    assert response.context["period"]["previous_to"] == D(2026, 9, 30)
    assert "compared with 2026-09-01 – 2026-09-30" in response.content.decode()


@pytest.mark.parametrize("query, shown", [
    ("period=custom", "From: Required for a custom period."),
    ("period=custom&date_from=2025-01-01", "To (inclusive): Required for a custom period."),
    ("period=custom&date_from=2025-02-01&date_to=2025-01-31", "To (inclusive): Must not be before"),
])
def test_period_errors_name_the_field_as_the_form_shows_it(world_a, query, shown):
    body = world_a.client_for().get(url(world_a, "report-agents", query)).content.decode()
    errors = body[body.index('class="filter-errors"'):]
    errors = errors[:errors.index("</div>")]
    assert shown in errors
    assert "date_from" not in errors and "date_to" not in errors


def test_definitions_render_code_escaped():
    assert code_html("a `b<c` and <i>") == "a <code>b&lt;c</code> and &lt;i&gt;"
    assert plain_text("by `created_at`") == "by created_at"


def test_no_definition_names_a_sql_function():
    """A definition says what a figure is in words (the median, interpolated), not which SQL computes it."""
    from support.desk.selectors import CALLBACK_WAIT_DEFINITION
    from support.reports.display import _COLUMNS, DISTRIBUTION_DEFINITIONS
    texts = [c.definition for c in _COLUMNS.values()] + [*DISTRIBUTION_DEFINITIONS.values(), CALLBACK_WAIT_DEFINITION]
    assert not [t for t in texts if "percentile_cont" in t]


@pytest.mark.parametrize("columns", [AGENT_COLUMNS, TEAM_COLUMNS, PERIOD_COLUMNS, TEAM_YTD_COLUMNS])
def test_every_figure_is_in_one_section_of_at_most_six(columns):
    placed = [m for _, metrics in SECTIONS for m in metrics]
    assert len(placed) == len(set(placed))
    assert {c.metric for c in columns} <= set(placed)
    assert all(len(metrics) <= 6 for _, metrics in SECTIONS)


def test_agents_are_shown_by_the_inbox_name_and_the_no_agent_row_explained(data):  # noqa: F811
    world = data["world"]
    response = world.client_for().get(url(world, "report-agents", JAN_QUERY))
    body = response.content.decode()
    names = re.findall(r'<th scope="row">(.*?)</th>', body)
    shown = {re.sub(r"<[^>]+>", "", n) for n in names}
    assert {"Ana", "Bob", "Cy", "No agent"} <= shown  # the inbox shows Agent.__str__: the name
    assert "ana@alpha.test" not in shown
    assert 'href="#def-no-group"' in body and 'id="def-no-group"' in body
    assert "No agent</strong>: the row of work no agent owns" in body
    # The API keeps addressing agents by email and carries the same display name.
    api = world.api().get("/api/v1/reports/support?from=2025-01-01&to=2025-02-01&group_by=agent").json()
    by_email = {r["group"]: r["agent_name"] for r in api["rows"]}
    assert by_email["ana@alpha.test"] == "Ana" and by_email[None] is None


def test_no_team_row_is_explained(data):  # noqa: F811
    world = data["world"]
    body = world.client_for().get(url(world, "report-teams", JAN_QUERY)).content.decode()
    assert "No team</strong>: the row of work of agents in no team" in body
    management = world.client_for().get(url(world, "report-management", JAN_QUERY)).content.decode()
    assert "No team: the row of work of agents in no team" in management
