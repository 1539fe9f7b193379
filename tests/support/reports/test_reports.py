"""support.reports.selectors.support_report against hand-computed fixtures (METRICS.md "Interactions and tickets").

Tenant A's zone is America/Los_Angeles (UTC-8 in winter, UTC-7 from 2025-03-09): local January 2025 is
[2025-01-01T08:00Z, 2025-02-01T08:00Z). Every expected number below is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.models import AgentSession, Interaction, SlaPolicy, SupportCost, Team, Ticket
from support.records.data import StatusData
from support.records.services.tickets import change_status
from support.reports.periods import fiscal_year_start, previous_period
from support.reports.selectors import support_report, ytd_by_month
from tests.support.conftest import add, make_ticket

JAN, FEB, MAR = dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def data(desk, world_b):
    t = desk["tenant"]
    ana, bob = desk["ana"], desk["bob"]
    tier2 = Team.objects.create(tenant=t, name="Tier 2")
    cy = ana.__class__.objects.create(tenant=t, email="cy@alpha.test", name="Cy", team=tier2)
    policy = SlaPolicy.objects.create(tenant=t, name="p", first_response_seconds=1800)

    # T1 email, Jan 10: inbound 10:00, system 10:01 (excluded), bot 10:02 (counted, no response),
    # internal note by bob 10:05 (excluded), ana's reply 10:10 with handle 300 s -> FRT 600 (ana).
    t1 = make_ticket(t, "T1", channel="email", created_at=utc(2025, 1, 10, 10))
    add(t, t1, "t1-in", started_at=utc(2025, 1, 10, 10))
    add(t, t1, "t1-sys", direction="outbound", author_type="system", started_at=utc(2025, 1, 10, 10, 1))
    add(t, t1, "t1-bot", direction="outbound", author_type="bot", started_at=utc(2025, 1, 10, 10, 2))
    add(t, t1, "t1-note", direction="outbound", author_type="agent", agent="bob@alpha.test", is_internal=True,
        started_at=utc(2025, 1, 10, 10, 5), handle_seconds=5000)
    add(t, t1, "t1-reply", direction="outbound", author_type="agent", agent="ana@alpha.test",
        started_at=utc(2025, 1, 10, 10, 10), handle_seconds=300)
    # Resolved (assigned to ana) at 12:00 -> 7200 s; reopened 13:00; resolved again Jan 11 10:00 -> 86400 s.
    change_status(tenant=t, ticket=t1,
                  data=StatusData(status="resolved", changed_at=utc(2025, 1, 10, 12), assignee=ana.email))
    change_status(tenant=t, ticket=t1, data=StatusData(status="open", changed_at=utc(2025, 1, 10, 13)))
    change_status(tenant=t, ticket=t1,
                  data=StatusData(status="resolved", changed_at=utc(2025, 1, 11, 10), assignee=bob.email))

    # T2 chat, Jan 15: queued 10:00, answered 10:01 by bob (ASA 60, FRT 60), ended 10:11 (handle 600).
    t2 = make_ticket(t, "T2", channel="chat", created_at=utc(2025, 1, 15, 10))
    add(t, t2, "t2-chat", channel="chat", started_at=utc(2025, 1, 15, 10), agent="bob@alpha.test",
        answered_at=utc(2025, 1, 15, 10, 1), ended_at=utc(2025, 1, 15, 10, 11))
    # T3 phone, Jan 20: abandoned after 300 s in Tier 2's queue; never answered; closed 11:00.
    t3 = make_ticket(t, "T3", channel="phone", created_at=utc(2025, 1, 20, 10))
    add(t, t3, "t3-call", channel="phone", started_at=utc(2025, 1, 20, 10), ended_at=utc(2025, 1, 20, 10, 5),
        queue_team="Tier 2")
    change_status(tenant=t, ticket=t3, data=StatusData(status="closed", changed_at=utc(2025, 1, 20, 11)))
    # T4 phone at 2025-02-01T05:00Z = Jan 31 21:00 in Los Angeles: a January ticket. Answered 05:02 by cy
    # (ASA 120, FRT 120), ended 05:17 (handle 900).
    t4 = make_ticket(t, "T4", channel="phone", created_at=utc(2025, 2, 1, 5))
    add(t, t4, "t4-call", channel="phone", started_at=utc(2025, 2, 1, 5), agent="cy@alpha.test",
        answered_at=utc(2025, 2, 1, 5, 2), ended_at=utc(2025, 2, 1, 5, 17))
    # T5 email, Feb 10: no reply (unanswered in February).
    t5 = make_ticket(t, "T5", channel="email", created_at=utc(2025, 2, 10, 10))
    add(t, t5, "t5-in", started_at=utc(2025, 2, 10, 10))
    # T6 web, Dec 20 2024, open, resolved Feb 5 by bob: 47 days = 4,060,800 s; in January's backlog.
    t6 = make_ticket(t, "T6", channel="web", created_at=utc(2024, 12, 20, 10))
    change_status(tenant=t, ticket=t6, data=StatusData(status="open", changed_at=utc(2024, 12, 20, 10)))
    change_status(tenant=t, ticket=t6,
                  data=StatusData(status="resolved", changed_at=utc(2025, 2, 5, 10), assignee=bob.email))

    # SLA (first response due 30 min after creation unless said): T1 met (10:10 <= 10:30); T2 due 10:00:30,
    # answered 10:01 -> breached; T3 no response, due long past -> breached. Jan: 1 / 3.
    Ticket.objects.filter(tenant=t, pk__in=[t1.pk, t3.pk]).update(
        sla_policy=policy, first_response_due_at=utc(2025, 1, 20, 10, 30))
    Ticket.objects.filter(tenant=t, pk=t1.pk).update(first_response_due_at=utc(2025, 1, 10, 10, 30))
    Ticket.objects.filter(tenant=t, pk=t2.pk).update(sla_policy=policy,
                                                     first_response_due_at=utc(2025, 1, 15, 10, 0, 30))

    # Presence for January. ana: online Dec 31 20:00Z-Jan 1 10:00Z (clipped to 08:00-10:00 = 2 h) and
    # Jan 31 22:00Z-Feb 1 10:00Z (clipped at 08:00 = 10 h); shifts Jan 1 08:00-12:00 (4 h) and Jan 31 20:00Z-
    # Feb 1 12:00Z (clipped = 12 h): 12 / 16 = 0.75. bob: online 2 h of a 4 h shift: 0.5. All: 14 / 20 = 0.7.
    for agent, kind, start, end in [
        (ana, "online", utc(2024, 12, 31, 20), utc(2025, 1, 1, 10)),
        (ana, "online", utc(2025, 1, 31, 22), utc(2025, 2, 1, 10)),
        (ana, "scheduled", utc(2025, 1, 1, 8), utc(2025, 1, 1, 12)),
        (ana, "scheduled", utc(2025, 1, 31, 20), utc(2025, 2, 1, 12)),
        (bob, "online", utc(2025, 1, 15, 16), utc(2025, 1, 15, 18)),
        (bob, "scheduled", utc(2025, 1, 15, 16), utc(2025, 1, 15, 20)),
    ]:
        AgentSession.objects.create(tenant=t, agent=agent, kind=kind, started_at=start, ended_at=end)

    # Costs: January 600 (whole support) + 300 (Tier 1); February 100.
    SupportCost.objects.create(tenant=t, month=JAN, amount=600, currency="USD")
    SupportCost.objects.create(tenant=t, month=JAN, team=desk["team"], amount=300, currency="USD")
    SupportCost.objects.create(tenant=t, month=FEB, amount=100, currency="USD")

    # Tenant B: a look-alike January ticket and interaction; must never show in A's figures.
    with world_b.scope():
        other = make_ticket(world_b.tenant, "T1", channel="email", created_at=utc(2025, 1, 10, 10))
        add(world_b.tenant, other, "t1-in", started_at=utc(2025, 1, 10, 10), handle_seconds=9999)
    return {**desk, "cy": cy, "tier2": tier2}


def report(tenant, date_from, date_to, group_by="none"):
    return support_report(tenant=tenant, date_from=date_from, date_to=date_to, group_by=group_by, now=NOW)


def by_group(result):
    return {row["group"]: row for row in result["rows"]}


def test_january_overall_every_metric(data):
    result = report(data["tenant"], JAN, FEB)
    assert result["from"] == "2025-01-01" and result["to"] == "2025-02-01"
    assert result["group_by"] == "none" and result["timezone"] == "America/Los_Angeles"
    [row] = result["rows"]
    # T1: in, bot, reply (system and note excluded); T2 chat; T3 call; T4 call (Jan 31 local).
    assert row["interactions"] == 6
    # FRT over T1 600, T2 60, T4 120 (T3 unanswered): mean 260, median 120, p90 120 + 0.8 * 480 = 504.
    assert row["first_response_time"] == {"count": 3, "mean": 260.0, "median": 120.0, "p90": pytest.approx(504.0)}
    assert row["unanswered"] == 1
    # ASA over T2 60 and T4 120: p90 = 60 + 0.9 * 60.
    assert row["asa"] == {"count": 2, "mean": 90.0, "median": 90.0, "p90": pytest.approx(114.0)}
    assert row["abandoned"] == 1
    assert row["abandon_rate"] == pytest.approx(1 / 3)
    assert row["longest_wait"] == 300.0  # the abandoned call: ended_at - queued_at
    # Handle 300 (explicit), 600 (chat), 900 (T4); the internal note's explicit 5000 is excluded.
    assert row["handle_time"] == {"count": 3, "mean": 600.0, "median": 600.0, "p90": pytest.approx(840.0)}
    assert row["resolution_time"] == {"count": 1, "mean": 7200.0, "median": 7200.0, "p90": 7200.0}
    assert row["full_resolution_time"] == {"count": 1, "mean": 86400.0, "median": 86400.0, "p90": 86400.0}
    assert row["chats_completed"] == 1
    assert row["tickets_created"] == 4
    assert row["tickets_resolved"] == 1
    assert row["backlog"] == 3  # T2, T4 (new), T6 (open until Feb 5); T1 resolved, T3 closed
    assert row["sla_first_response_achievement"] == pytest.approx(1 / 3)
    assert row["utilization"] == pytest.approx(14 / 20)
    assert row["cost_per_interaction"] == pytest.approx(900 / 6)
    assert row["csat_pct"] is None and row["csat_avg"] is None


def test_february_and_month_boundary_in_the_tenant_zone(data):
    [row] = report(data["tenant"], FEB, MAR)["rows"]
    assert row["interactions"] == 1  # only T5: T4 at 2025-02-01T05:00Z is January in Los Angeles
    assert row["tickets_created"] == 1 and row["unanswered"] == 1
    assert row["first_response_time"] is None  # empty set: null, not 0
    assert row["resolution_time"] == {"count": 1, "mean": 4060800.0, "median": 4060800.0, "p90": 4060800.0}
    assert row["backlog"] == 3  # T2, T4, T5
    assert row["cost_per_interaction"] == pytest.approx(100.0)
    assert row["sla_first_response_achievement"] is None
    assert row["asa"] is None and row["abandon_rate"] is None and row["longest_wait"] is None
    # The other side of ana's sessions crossing the month end: online 08:00-10:00Z of a 08:00-12:00Z shift.
    assert row["utilization"] == pytest.approx(2 / 4)


def test_empty_period_gives_null_figures_and_zero_counts(data):
    [row] = report(data["tenant"], dt.date(2023, 5, 1), dt.date(2023, 6, 1))["rows"]
    assert row["interactions"] == 0 and row["abandoned"] == 0 and row["tickets_created"] == 0
    for name in ("first_response_time", "asa", "abandon_rate", "longest_wait", "handle_time", "resolution_time",
                 "full_resolution_time", "sla_first_response_achievement", "utilization", "cost_per_interaction"):
        assert row[name] is None, name
    assert row["backlog"] == 0


def test_group_by_month_one_row_per_month_each_its_own_period(data):
    rows = report(data["tenant"], dt.date(2024, 12, 1), dt.date(2025, 4, 1), "month")["rows"]
    assert [r["group"] for r in rows] == ["2024-12", "2025-01", "2025-02", "2025-03"]
    dec, jan, feb, mar = rows
    assert [r["interactions"] for r in rows] == [0, 6, 1, 0]
    assert [r["tickets_created"] for r in rows] == [1, 4, 1, 0]
    assert [r["backlog"] for r in rows] == [1, 3, 3, 3]
    assert jan["cost_per_interaction"] == pytest.approx(150.0) and feb["cost_per_interaction"] == pytest.approx(100.0)
    assert dec["cost_per_interaction"] is None and mar["handle_time"] is None
    assert jan["utilization"] == pytest.approx(0.7)


def test_multi_month_cost_is_total_cost_over_interactions_of_costed_whole_months(data):
    [row] = report(data["tenant"], JAN, MAR)["rows"]
    assert row["cost_per_interaction"] == pytest.approx(1000 / 7)  # not the mean of 150 and 100
    # A range covering no whole month has no cost per interaction.
    [partial] = report(data["tenant"], dt.date(2025, 1, 2), dt.date(2025, 2, 1))["rows"]
    assert partial["cost_per_interaction"] is None


def test_group_by_agent(data):
    rows = by_group(report(data["tenant"], JAN, FEB, "agent"))
    assert set(rows) == {"ana@alpha.test", "bob@alpha.test", "cy@alpha.test", None}
    ana, bob, cy, none = rows["ana@alpha.test"], rows["bob@alpha.test"], rows["cy@alpha.test"], rows[None]
    assert ana["interactions"] == 1 and bob["interactions"] == 1 and cy["interactions"] == 1
    assert none["interactions"] == 3  # T1 inbound, bot, abandoned call
    assert ana["first_response_time"]["mean"] == 600.0 and bob["first_response_time"]["mean"] == 60.0
    assert none["unanswered"] == 1 and none["first_response_time"] is None
    # T1 resolved first while assigned to ana (bob only at the second resolution).
    assert ana["tickets_resolved"] == 1 and ana["full_resolution_time"]["mean"] == 86400.0
    assert bob["tickets_resolved"] == 0 and bob["resolution_time"] is None
    # Queue figures only for who answered: the abandoned call is nobody's.
    assert bob["asa"]["mean"] == 60.0 and bob["abandoned"] == 0 and bob["abandon_rate"] == 0.0
    assert none["abandoned"] == 1 and none["abandon_rate"] == 1.0 and none["longest_wait"] == 300.0
    assert bob["chats_completed"] == 1 and ana["chats_completed"] == 0
    assert ana["handle_time"]["mean"] == 300.0 and cy["handle_time"]["mean"] == 900.0
    assert all(r["tickets_created"] is None and r["backlog"] is None for r in rows.values())
    assert ana["utilization"] == pytest.approx(0.75) and bob["utilization"] == pytest.approx(0.5)
    assert cy["utilization"] is None
    assert ana["sla_first_response_achievement"] == 1.0 and bob["sla_first_response_achievement"] == 0.0
    assert all(r["cost_per_interaction"] is None for r in rows.values())


def test_group_by_team(data):
    rows = by_group(report(data["tenant"], JAN, FEB, "team"))
    assert set(rows) == {"Tier 1", "Tier 2", None}
    tier1, tier2, none = rows["Tier 1"], rows["Tier 2"], rows[None]
    # Tier 1: ana's reply and bob's chat; Tier 2: cy's call and the abandoned call of its queue.
    assert (tier1["interactions"], tier2["interactions"], none["interactions"]) == (2, 2, 2)
    assert tier2["abandoned"] == 1 and tier2["abandon_rate"] == pytest.approx(0.5)
    assert tier2["longest_wait"] == 300.0 and tier2["asa"]["mean"] == 120.0
    assert tier1["first_response_time"] == {"count": 2, "mean": 330.0, "median": 330.0,
                                            "p90": pytest.approx(60 + 0.9 * 540)}
    assert tier1["utilization"] == pytest.approx(0.7) and tier2["utilization"] is None
    assert tier1["cost_per_interaction"] == pytest.approx(300 / 2)  # the entry naming Tier 1
    assert tier2["cost_per_interaction"] is None and none["cost_per_interaction"] is None
    assert tier1["tickets_created"] is None and tier1["backlog"] is None


def test_group_by_channel(data):
    rows = by_group(report(data["tenant"], JAN, FEB, "channel"))
    assert set(rows) == {"email", "chat", "phone", "web"}
    assert rows["email"]["interactions"] == 3 and rows["phone"]["interactions"] == 2
    assert rows["phone"]["abandoned"] == 1 and rows["phone"]["tickets_created"] == 2
    assert rows["web"]["backlog"] == 1 and rows["web"]["interactions"] == 0  # T6, opened on the web
    assert rows["chat"]["chats_completed"] == 1 and rows["chat"]["backlog"] == 1
    assert rows["email"]["tickets_resolved"] == 1 and rows["email"]["resolution_time"]["mean"] == 7200.0
    assert all(r["utilization"] is None and r["cost_per_interaction"] is None for r in rows.values())


def test_unknown_group_by_and_empty_range_are_refused(data):
    with pytest.raises(ValueError):
        report(data["tenant"], JAN, FEB, "week")
    with pytest.raises(ValueError):
        report(data["tenant"], FEB, JAN)


def test_previous_period_is_the_same_length_just_before():
    assert previous_period(dt.date(2025, 3, 1), dt.date(2025, 3, 31)) == (dt.date(2025, 1, 30), dt.date(2025, 3, 1))


def test_ytd_by_month_with_a_fiscal_year_starting_in_april(desk):
    t = desk["tenant"]
    t.fiscal_year_start_month = 4
    t.save()
    assert fiscal_year_start(tenant=t, today=dt.date(2025, 2, 10)) == dt.date(2024, 4, 1)
    assert fiscal_year_start(tenant=t, today=dt.date(2025, 4, 1)) == dt.date(2025, 4, 1)
    ticket = make_ticket(t, "Y1", created_at=utc(2025, 4, 2, 12))
    # Handle times: April 100; May 200 and 300 (LA is UTC-7 then). Monthly means 100, 250; YTD mean 200.
    for ext, start, seconds in [("a", utc(2025, 4, 2, 12), 100), ("b", utc(2025, 5, 3, 12), 200),
                                ("c", utc(2025, 5, 4, 12), 300)]:
        add(t, ticket, ext, direction="outbound", author_type="agent", agent="ana@alpha.test", started_at=start,
            handle_seconds=seconds)
    result = ytd_by_month(tenant=t, today=dt.date(2025, 6, 15), now=NOW)
    assert (result["from"], result["to"]) == ("2025-04-01", "2025-07-01")
    assert [r["group"] for r in result["rows"]] == ["2025-04", "2025-05", "2025-06"]
    assert [r["interactions"] for r in result["rows"]] == [1, 2, 0]
    assert [r["handle_time"] and r["handle_time"]["mean"] for r in result["rows"]] == [100.0, 250.0, None]
    assert result["total"]["interactions"] == 3
    assert result["total"]["handle_time"] == {"count": 3, "mean": 200.0, "median": 200.0,
                                              "p90": pytest.approx(280.0)}
    assert result["total"]["group"] is None


@pytest.mark.parametrize("group_by", ["none", "agent", "team", "month", "channel"])
def test_query_count_does_not_grow_with_the_data(desk, group_by):
    from support.models import Agent

    t = desk["tenant"]

    def seed(n: int, prefix: str) -> None:
        agents = Agent.objects.bulk_create([Agent(tenant=t, email=f"{prefix}{i}@alpha.test", team=desk["team"])
                                            for i in range(n // 5)])
        ticket = make_ticket(t, f"Q-{prefix}", channel="chat", created_at=utc(2025, 1, 5))
        Interaction.objects.bulk_create([
            Interaction(tenant=t, ticket=ticket, external_id=f"{prefix}-{i}", channel="chat", direction="inbound",
                        author_type="contact", agent=agents[i % len(agents)],
                        started_at=utc(2025, 1, 5) + dt.timedelta(hours=i), queued_at=utc(2025, 1, 5)
                        + dt.timedelta(hours=i), answered_at=utc(2025, 1, 5) + dt.timedelta(hours=i, seconds=30),
                        ended_at=utc(2025, 1, 5) + dt.timedelta(hours=i, minutes=5))
            for i in range(n)
        ])

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            result = report(t, JAN, dt.date(2025, 3, 1), group_by)
        return len(ctx.captured_queries), sum(r["interactions"] for r in result["rows"])

    seed(10, "small")
    small, seen = count()
    assert seen == 10
    seed(90, "big")
    big, seen = count()
    assert seen == 100
    assert small == big


def test_backlog_takes_the_latest_change_before_the_end_with_ties_broken_by_order(world_a):
    """Two changes at the same instant: the one recorded last decides whether the ticket is open."""
    from support.models import TicketStatusChange
    from support.records.backlog import refresh_open_spans
    from tests.support.desk_helpers import make_ticket as make_desk_ticket

    a = world_a
    jan = {"tenant": a.tenant, "date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 2, 1)}
    with a.scope():
        ticket = make_desk_ticket(a.tenant, "TIE-1", created_at=utc(2025, 1, 2))
        TicketStatusChange.objects.filter(ticket=ticket).delete()
        for status in ("open", "resolved"):
            TicketStatusChange.objects.create(ticket=ticket, status=status, changed_at=utc(2025, 1, 10))
        refresh_open_spans(ticket)  # rows written behind the services' back (which cannot repeat a tie)
        assert support_report(**jan)["rows"][0]["backlog"] == 0
        TicketStatusChange.objects.create(ticket=ticket, status="open", changed_at=utc(2025, 1, 10))
        # A change after the period's end does not count for it.
        TicketStatusChange.objects.create(ticket=ticket, status="closed", changed_at=utc(2025, 2, 3))
        refresh_open_spans(ticket)
        assert support_report(**jan)["rows"][0]["backlog"] == 1
