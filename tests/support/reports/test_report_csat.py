"""The support report's CSAT (METRICS.md "CSAT of a ticket"): each ticket's latest CSAT response, in the period
of its ``submitted_at`` (tenant zone), attributed like resolutions; responses without a ticket and other kinds
left out. Hand-counted:

- T1 email, resolved by Ana (Tier 1): CSAT 2 on 11 Jan, then 5 on 20 Jan -> its CSAT is 5, in January.
- T2 chat, resolved by Cy (Tier 2): CSAT 3 at 23:30 local on 31 Jan (07:30 UTC on 1 Feb) -> January.
- T3 phone, resolved by Bob (Tier 1): CSAT 1 on 20 Dec, then 4 on 3 Feb -> February only (December has none).
- An NPS 0 on T1 and a CSAT 1 without a ticket in January: not a ticket's CSAT.
January: T1 5, T2 3 -> 50 %, average 4. February: T3 4 -> 100 %, average 4.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from support.models import Agent, Team, Ticket
from support.reports.selectors import support_report
from surveys.models import SurveyResponse
from tests.surveys.helpers import make_survey

LA = zoneinfo.ZoneInfo("America/Los_Angeles")
DEC, JAN, FEB, MAR = dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)


def local(*args):
    return dt.datetime(*args, tzinfo=LA)


@pytest.fixture
def data(desk, world_b):
    world, t = desk["world"], desk["tenant"]
    csat = make_survey(world, kind="csat", name="CSAT")
    nps = make_survey(world, kind="nps", name="NPS")
    tier2 = Team.objects.create(tenant=t, name="Tier 2")
    cy = Agent.objects.create(tenant=t, email="cy@alpha.test", name="Cy", team=tier2)
    contact = world.contacts[0]

    def ticket(ext, channel, agent):
        return Ticket.objects.create(tenant=t, external_id=ext, contact=contact, account=contact.account,
                                     channel=channel, created_at=local(2024, 12, 1), resolved_at=local(2024, 12, 2),
                                     resolved_assignee=agent)

    def answer(survey, score, at, tkt=None):
        SurveyResponse.objects.create(tenant=t, survey=survey, contact=contact, account=contact.account, ticket=tkt,
                                      score=score, submitted_at=at)

    t1, t2, t3 = ticket("T1", "email", desk["ana"]), ticket("T2", "chat", cy), ticket("T3", "phone", desk["bob"])
    answer(csat, 2, local(2025, 1, 11), t1)
    answer(csat, 5, local(2025, 1, 20), t1)
    answer(csat, 3, local(2025, 1, 31, 23, 30), t2)
    answer(csat, 1, local(2024, 12, 20), t3)
    answer(csat, 4, local(2025, 2, 3), t3)
    answer(nps, 0, local(2025, 1, 12), t1)
    answer(csat, 1, local(2025, 1, 12))
    return desk


def _rows(desk, start, end, group_by="none"):
    return {r["group"]: r for r in support_report(tenant=desk["tenant"], date_from=start, date_to=end,
                                                  group_by=group_by)["rows"]}


def test_overall_by_the_latest_response_of_each_ticket(data):
    jan = _rows(data, JAN, FEB)[None]
    assert (jan["csat_pct"], jan["csat_avg"]) == (50.0, 4.0)
    feb = _rows(data, FEB, MAR)[None]
    assert (feb["csat_pct"], feb["csat_avg"]) == (100.0, 4.0)
    dec = _rows(data, DEC, JAN)[None]
    assert dec["csat_pct"] is None and dec["csat_avg"] is None  # T3's December answer is not its latest


def test_by_month_agent_team_and_channel(data):
    months = _rows(data, DEC, MAR, "month")
    assert [months[m]["csat_pct"] for m in ("2024-12", "2025-01", "2025-02")] == [None, 50.0, 100.0]
    agents = _rows(data, JAN, FEB, "agent")
    assert (agents["ana@alpha.test"]["csat_pct"], agents["cy@alpha.test"]["csat_pct"]) == (100.0, 0.0)
    assert agents["cy@alpha.test"]["csat_avg"] == 3.0
    assert "bob@alpha.test" not in agents or agents["bob@alpha.test"]["csat_pct"] is None
    teams = _rows(data, JAN, FEB, "team")
    assert (teams["Tier 1"]["csat_pct"], teams["Tier 2"]["csat_pct"]) == (100.0, 0.0)
    channels = _rows(data, JAN, FEB, "channel")
    assert (channels["email"]["csat_pct"], channels["chat"]["csat_pct"]) == (100.0, 0.0)
    assert channels.get("phone", {}).get("csat_pct") is None


def test_team_page_shows_csat(data):
    body = data["world"].client_for().get(
        f"/t/{data['tenant'].slug}/support/reports/teams/?period=custom&date_from=2025-01-01&date_to=2025-01-31"
    ).content.decode()
    assert 'data-metric="csat_pct"><span>100.0%' in body
