"""Transactional CSAT: a resolution schedules one invitation after the survey's delay; skip rules are
recorded as suppressed rows with their reason; reopen and merge cancel; ask-again; the lookback."""

from __future__ import annotations

import pytest

from support.records.services.tickets import merge_tickets
from surveys.models import Invitation, SkippedTicket, Survey
from surveys.scales import Kind
from surveys.sending.services import policy_for
from surveys.services import default_survey
from surveys.triggers.resolution import LOOKBACK, schedule_resolved_tickets
from tests.surveys.triggers.helpers import NOW, hours, set_status, ticket


def sweep(world, now=NOW):
    with world.scope():
        return schedule_resolved_tickets(tenant=world.tenant, now=now)


def invitations(world):
    with world.scope():
        return list(Invitation.objects.order_by("id").values(
            "ticket__external_id", "status", "suppressed_reason", "send_after", "resolution_at", "contact_id",
            "account_id", "trigger"))


def policy(world, **values):
    with world.scope():
        p = policy_for(tenant=world.tenant)
        for k, v in values.items():
            setattr(p, k, v)
        p.save()


def test_resolution_schedules_after_the_delay_and_a_second_sweep_adds_nothing(world_a):
    with world_a.scope():
        survey = default_survey(tenant=world_a.tenant, kind=Kind.CSAT)
        Survey.objects.filter(pk=survey.pk).update(delay_hours=6)
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(1))
    assert sweep(world_a) == 1
    assert sweep(world_a) == 0
    assert sweep(world_a, NOW + hours(2)) == 0
    [row] = invitations(world_a)
    contact = world_a.contacts[0]
    assert row == {"ticket__external_id": "T-1", "status": "scheduled", "suppressed_reason": "",
                   "send_after": NOW + hours(5), "resolution_at": NOW - hours(1), "contact_id": contact.pk,
                   "account_id": contact.account_id, "trigger": "ticket"}


def test_an_imported_old_resolution_is_not_surveyed(world_a):
    with world_a.scope():
        t = ticket(world_a, created_at=NOW - LOOKBACK - hours(30))
        set_status(world_a, t, "resolved", NOW - LOOKBACK - hours(1))
        fresh = ticket(world_a, "T-2")
        set_status(world_a, fresh, "closed", NOW - hours(2))  # closed without a resolution: nothing to ask about
    assert sweep(world_a) == 0
    assert invitations(world_a) == []


def test_open_tickets_and_csat_off_schedule_nothing(world_a):
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(3))
        set_status(world_a, t, "open", NOW - hours(2))
    assert sweep(world_a) == 0
    with world_a.scope():
        set_status(world_a, t, "resolved", NOW - hours(1))
    policy(world_a, csat_on_resolution=False)
    assert sweep(world_a) == 0 and invitations(world_a) == []


@pytest.mark.parametrize(("setup", "reason"), [
    ("skip", "skipped_by_agent"),
    ("channel", "skipped_channel"),
    ("tag", "skipped_tag"),
    ("auto", "auto_resolved"),
    ("inactive", "survey_inactive"),
])
def test_each_skip_rule_is_recorded_with_its_reason(world_a, setup, reason):
    policy(world_a, csat_skip_channels=["chat"] if setup == "channel" else [],
           csat_skip_tags=["billing"] if setup == "tag" else [])
    with world_a.scope():
        t = ticket(world_a, channel="chat", tags=["Billing ", "vip"])
        if setup == "skip":
            SkippedTicket.objects.create(tenant=world_a.tenant, ticket=t)
        if setup == "inactive":
            Survey.objects.filter(pk=default_survey(tenant=world_a.tenant, kind=Kind.CSAT).pk).update(is_active=False)
        set_status(world_a, t, "resolved", NOW - hours(1), by_agent=setup != "auto")
    assert sweep(world_a) == 1
    [row] = invitations(world_a)
    assert (row["status"], row["suppressed_reason"]) == ("suppressed", reason)
    assert sweep(world_a) == 0


def test_auto_resolved_is_surveyed_when_the_rule_is_off(world_a):
    policy(world_a, csat_skip_auto_resolved=False)
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(1), by_agent=False)
    sweep(world_a)
    assert [r["status"] for r in invitations(world_a)] == ["scheduled"]


def test_reopen_cancels_the_scheduled_invitation_and_the_next_resolution_is_asked(world_a):
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(3))
    sweep(world_a, NOW - hours(2))
    with world_a.scope():
        set_status(world_a, t, "open", NOW - hours(1))
    sweep(world_a)
    [row] = invitations(world_a)
    assert (row["status"], row["suppressed_reason"]) == ("suppressed", "ticket_reopened")
    with world_a.scope():
        set_status(world_a, t, "resolved", NOW - hours(0.5))
    sweep(world_a)  # the first was never sent: the customer was not asked, so ask-again does not apply
    rows = invitations(world_a)
    assert [(r["status"], r["resolution_at"]) for r in rows] == [
        ("suppressed", NOW - hours(3)), ("scheduled", NOW - hours(0.5))]


def test_reopened_and_resolved_again_between_two_sweeps_supersedes_the_first(world_a):
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(3))
    sweep(world_a, NOW - hours(2))
    with world_a.scope():
        set_status(world_a, t, "open", NOW - hours(1.5))
        set_status(world_a, t, "resolved", NOW - hours(1))
    sweep(world_a)
    assert [(r["status"], r["suppressed_reason"]) for r in invitations(world_a)] == [
        ("suppressed", "ticket_reopened"), ("scheduled", "")]


@pytest.mark.parametrize("ask_again", [False, True])
def test_ask_again_after_a_sent_invitation(world_a, ask_again):
    policy(world_a, csat_ask_again=ask_again)
    with world_a.scope():
        t = ticket(world_a)
        set_status(world_a, t, "resolved", NOW - hours(30))
    sweep(world_a, NOW - hours(29))
    with world_a.scope():
        Invitation.objects.update(status="sent", sent_at=NOW - hours(5))  # what the sender does
        set_status(world_a, t, "open", NOW - hours(2))
        set_status(world_a, t, "resolved", NOW - hours(1))
    sweep(world_a)
    rows = invitations(world_a)
    assert [r["status"] for r in rows] == (["sent", "scheduled"] if ask_again else ["sent"])


def test_merge_cancels_the_scheduled_invitation(world_a):
    with world_a.scope():
        source, into = ticket(world_a, "T-1"), ticket(world_a, "T-2")
        set_status(world_a, source, "resolved", NOW - hours(1))
    sweep(world_a)
    with world_a.scope():
        merge_tickets(tenant=world_a.tenant, source=source, into=into, by=None)
    sweep(world_a)
    [row] = invitations(world_a)
    assert (row["status"], row["suppressed_reason"]) == ("suppressed", "ticket_merged")


def test_other_tenants_tickets_are_not_swept(worlds):
    a, b = worlds
    with b.scope():
        t = ticket(b)
        set_status(b, t, "resolved", NOW - hours(1))
    assert sweep(a) == 0
    assert invitations(a) == []
    assert sweep(b) == 1


def test_the_beat_tasks_fan_out_per_tenant_and_run_each_sweep_in_its_scope(worlds, monkeypatch):
    from surveys.triggers import tasks

    a, b = worlds
    for world in worlds:
        with world.scope():
            t = ticket(world)
            set_status(world, t, "resolved", NOW - hours(1))
    queued = []
    monkeypatch.setattr(tasks.schedule_csat, "delay", lambda tenant_id: queued.append(tenant_id))
    assert tasks.schedule_csat_all_tenants() == 2 and sorted(queued) == sorted([a.tenant.pk, b.tenant.pk])
    monkeypatch.setattr("surveys.triggers.tasks.timezone.now", lambda: NOW)
    assert tasks.schedule_csat(a.tenant.pk) == 1
    assert tasks.run_tenant_campaigns(a.tenant.pk) == 0
    assert len(invitations(a)) == 1 and invitations(b) == []
