"""Relationship campaigns: segment filter, drip spread over the window, one-off finishing, recurring
rounds counted from the last answer, pause stopping the unsent ones, resume."""

from __future__ import annotations

import datetime as dt

import pytest

from surveys.models import Campaign, Invitation, SurveyResponse
from surveys.triggers.campaigns import (
    CampaignData,
    CampaignError,
    campaign_counts,
    months_before,
    pause_campaign,
    run_campaigns,
    save_campaign,
    segment_preview,
    start_campaign,
)
from tests.surveys.helpers import make_survey
from tests.surveys.triggers.helpers import NOW


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def campaign(world, *, segment=None, window_days=4, repeat_months=None, start=True):
    survey = make_survey(world, kind="nps")
    with world.scope():
        c = save_campaign(tenant=world.tenant, campaign=None, by=world.admin.user, data=CampaignData(
            survey=survey, name="Q4 NPS", segment=segment or {}, window_days=window_days,
            repeat_months=repeat_months))
        if start:
            c = start_campaign(tenant=world.tenant, campaign=c, by=world.csm.user, now=NOW)
    return c


def run(world, now=NOW):
    with world.scope():
        return run_campaigns(tenant=world.tenant, now=now)


def rows(world):
    with world.scope():
        return list(Invitation.objects.order_by("contact_id", "id").values_list(
            "contact__external_id", "send_after", "status", "suppressed_reason", "trigger"))


def test_drip_spreads_the_segment_evenly_over_the_window_in_contact_order_and_finishes(world_a):
    c = campaign(world_a, window_days=4)
    assert run(world_a) == 4
    got = rows(world_a)
    assert [(r[0], r[1]) for r in got] == [("user-0", NOW), ("user-1", NOW + days(1)), ("user-2", NOW + days(2)),
                                           ("user-3", NOW + days(3))]
    assert {r[2] for r in got} == {"scheduled"} and {r[4] for r in got} == {"campaign"}
    with world_a.scope():
        c.refresh_from_db()
        assert (c.status, c.started_by, c.created_by) == ("finished", world_a.csm.user, world_a.admin.user)
    assert run(world_a, NOW + days(1)) == 0
    assert len(rows(world_a)) == 4


def test_segment_filter_invites_only_the_matching_accounts_contacts(world_a, world_b):
    campaign(world_a, segment={"tier": "premium"})  # acc-1 holds user-1 only
    with world_a.scope():
        preview = segment_preview(tenant=world_a.tenant, segment={"tier": "premium"})
    assert (preview.accounts, preview.contacts, preview.with_email) == (1, 1, 1)
    run(world_a)
    assert [r[0] for r in rows(world_a)] == ["user-1"]
    assert rows(world_b) == []


def test_a_filter_that_no_longer_validates_is_dropped_like_on_the_account_list(world_a):
    with world_a.scope():
        preview = segment_preview(tenant=world_a.tenant, segment={"owner": "999999", "stage": "nonsense"})
    assert preview.contacts == 4


def test_recurring_invites_again_months_after_the_last_answer(world_a):
    c = campaign(world_a, repeat_months=6, window_days=0)
    run(world_a)
    with world_a.scope():
        Invitation.objects.update(status="sent", sent_at=NOW)
        contact = world_a.contacts[0]
        SurveyResponse.objects.create(tenant=world_a.tenant, survey=c.survey, contact=contact,
                                      account=contact.account, score=9, submitted_at=NOW + days(30))
    assert run(world_a, NOW + days(100)) == 0
    # The others never answered: due six months after their invitation, user-0 six months after the answer.
    others_due = months_before(NOW, -6) + days(3)
    assert run(world_a, others_due) == 3
    assert run(world_a, others_due + days(20)) == 0
    assert run(world_a, months_before(NOW + days(30), -6) + days(3)) == 1
    assert [r[0] for r in rows(world_a) if r[1] >= others_due] == ["user-0", "user-1", "user-2", "user-3"]
    with world_a.scope():
        c.refresh_from_db()
        assert c.status == "running"  # recurring campaigns keep running


def test_pause_stops_new_ones_and_suppresses_the_unsent_and_resume_reinvites_them(world_a):
    c = campaign(world_a, window_days=10, repeat_months=12)
    run(world_a)
    with world_a.scope():
        Invitation.objects.filter(contact=world_a.contacts[0]).update(status="sent", sent_at=NOW)
        assert pause_campaign(tenant=world_a.tenant, campaign=c, by=world_a.admin.user, now=NOW + days(1)) == 3
        counts = campaign_counts(tenant=world_a.tenant, campaign=c)
    assert (counts.scheduled, counts.sent, counts.suppressed) == (0, 1, [("Campaign paused or finished", 3)])
    assert run(world_a, NOW + days(2)) == 0
    with world_a.scope():
        start_campaign(tenant=world_a.tenant, campaign=c, by=world_a.admin.user, now=NOW + days(3))
    assert run(world_a, NOW + days(3)) == 3  # the three stopped ones; user-0 was asked already


@pytest.mark.parametrize(("over", "field"), [
    ({"window_days": 91}, "window_days"), ({"repeat_months": 0}, "repeat_months"),
    ({"repeat_months": 37}, "repeat_months"),
])
def test_bad_values_name_the_field_and_write_nothing(world_a, over, field):
    survey = make_survey(world_a)
    values = {"survey": survey, "name": "x", "segment": {}, "window_days": 7, "repeat_months": None} | over
    with world_a.scope(), pytest.raises(CampaignError) as caught:
        save_campaign(tenant=world_a.tenant, campaign=None, by=None, data=CampaignData(**values))
    assert caught.value.field == field
    with world_a.scope():
        assert not Campaign.objects.exists()


def test_only_drafts_and_paused_ones_start_and_only_running_ones_pause(world_a):
    c = campaign(world_a, start=False)
    with world_a.scope():
        with pytest.raises(CampaignError):
            pause_campaign(tenant=world_a.tenant, campaign=c, by=None, now=NOW)
        start_campaign(tenant=world_a.tenant, campaign=c, by=None, now=NOW)
        with pytest.raises(CampaignError):
            start_campaign(tenant=world_a.tenant, campaign=c, by=None, now=NOW)


def test_months_before_clamps_the_day():
    assert months_before(dt.datetime(2026, 8, 31, tzinfo=dt.UTC), 6) == dt.datetime(2026, 2, 28, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 13) == dt.datetime(2024, 12, 15, tzinfo=dt.UTC)
