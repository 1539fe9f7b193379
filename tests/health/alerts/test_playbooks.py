"""Playbooks: ordered steps (add, move, delete keep positions 1..n), a start that copies the steps into a run
and opens one task per step in order with its due day, once per alert (a rule's playbook included)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.worklist.models import CsmTask, SourceKind
from health.alerts.models import HealthAlert, PlaybookRun, PlaybookRunStep, RuleKind
from health.alerts.services import (
    PlaybookData,
    PlaybookError,
    StepData,
    add_step,
    delete_step,
    evaluate_rules,
    move_step,
    save_playbook,
    start_playbook,
    update_step,
)
from tests.health.alerts.helpers import D, only_rule, put_scores

pytestmark = pytest.mark.django_db


def make_playbook(tenant, name="Save the account", steps=(("Call the sponsor", 0), ("Review usage", 3),
                                                          ("Exec check-in", 10))):
    playbook = save_playbook(tenant=tenant, playbook=None, data=PlaybookData(name=name, description="Risk play"))
    for title, offset in steps:
        add_step(tenant=tenant, playbook=playbook, data=StepData(title=title, detail=f"Do: {title}",
                                                                 due_offset_days=offset))
    return playbook


def titles(playbook) -> list[tuple[int, str]]:
    return list(playbook.steps.order_by("position").values_list("position", "title"))


def test_steps_move_and_delete_keeping_positions(world_a):
    with world_a.scope():
        playbook = make_playbook(world_a.tenant)
        first, second, third = playbook.steps.order_by("position")
        move_step(tenant=world_a.tenant, step=third, up=True)
        assert titles(playbook) == [(1, "Call the sponsor"), (2, "Exec check-in"), (3, "Review usage")]
        move_step(tenant=world_a.tenant, step=first, up=True)  # already first: nothing moves
        move_step(tenant=world_a.tenant, step=first, up=False)
        assert titles(playbook) == [(1, "Exec check-in"), (2, "Call the sponsor"), (3, "Review usage")]
        delete_step(tenant=world_a.tenant, step=third)
        assert titles(playbook) == [(1, "Call the sponsor"), (2, "Review usage")]
        update_step(tenant=world_a.tenant, step=second, data=StepData(title="Usage review", due_offset_days=365))
        assert titles(playbook) == [(1, "Call the sponsor"), (2, "Usage review")]


@pytest.mark.parametrize(("data", "field"), [
    (StepData(title=""), "title"), (StepData(title="x" * 201), "title"), (StepData(title="ok", detail="x" * 5001),
                                                                          "detail"),
    (StepData(title="ok", due_offset_days=366), "due_offset_days"), (StepData(title="ok", due_offset_days=-1),
                                                                     "due_offset_days"),
])
def test_bad_steps_name_their_field(world_a, data, field):
    with world_a.scope():
        playbook = make_playbook(world_a.tenant, steps=())
        with pytest.raises(PlaybookError) as error:
            add_step(tenant=world_a.tenant, playbook=playbook, data=data)
        assert error.value.field == field
        assert playbook.steps.count() == 0


def test_a_playbook_name_is_unique_and_bounded(world_a):
    with world_a.scope():
        make_playbook(world_a.tenant, steps=())
        for name, field in (("Save the account", "name"), ("", "name"), ("x" * 201, "name")):
            with pytest.raises(PlaybookError) as error:
                save_playbook(tenant=world_a.tenant, playbook=None, data=PlaybookData(name=name))
            assert error.value.field == field


def test_a_start_by_hand_opens_one_task_per_step_in_order_with_due_days(world_a):
    tenant, account = world_a.tenant, world_a.accounts[1]
    with world_a.scope():
        playbook = make_playbook(tenant)
        run = start_playbook(tenant=tenant, playbook=playbook, account=account, by=world_a.csm.user, day=D)
        assert (run.started_by, run.alert, run.account) == (world_a.csm.user, None, account)
        steps = list(PlaybookRunStep.objects.filter(run=run).order_by("position"))
        assert [(s.position, s.title, s.due_on) for s in steps] == [
            (1, "Call the sponsor", D), (2, "Review usage", D + dt.timedelta(days=3)),
            (3, "Exec check-in", D + dt.timedelta(days=10))]
        tasks = CsmTask.objects.filter(source_kind=SourceKind.PLAYBOOK_STEP).order_by("due_on")
        assert [(t.source_id, t.title, t.due_on, t.assignee, t.account) for t in tasks] == [
            (s.pk, s.title, s.due_on, world_a.csm.user, account) for s in steps]
        assert "Playbook: Save the account, step 2 of 3" in tasks[1].detail
        # A later edit of the playbook does not rewrite the run under way.
        update_step(tenant=tenant, step=playbook.steps.get(position=1), data=StepData(title="Changed"))
        assert PlaybookRunStep.objects.get(run=run, position=1).title == "Call the sponsor"
        # By hand, a second start is a second run.
        start_playbook(tenant=tenant, playbook=playbook, account=account, by=None, day=D)
        assert PlaybookRun.objects.count() == 2


def test_an_inactive_or_empty_playbook_does_not_start(world_a):
    tenant, account = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        empty = make_playbook(tenant, name="Empty", steps=())
        with pytest.raises(PlaybookError, match="no steps"):
            start_playbook(tenant=tenant, playbook=empty, account=account, by=None)
        off = make_playbook(tenant, name="Off")
        save_playbook(tenant=tenant, playbook=off, data=PlaybookData(name="Off", is_active=False))
        with pytest.raises(PlaybookError, match="inactive"):
            start_playbook(tenant=tenant, playbook=off, account=account, by=None)
        assert PlaybookRun.objects.count() == 0 and CsmTask.objects.count() == 0


def test_a_rules_playbook_starts_once_per_alert(world_a):
    tenant, account = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        playbook = make_playbook(tenant)
        rule = only_rule(tenant, RuleKind.TURNS_RED)
        rule.playbook = playbook
        rule.save()
        put_scores(tenant, account, {D: 10, D + dt.timedelta(days=1): 12})
        assert evaluate_rules(tenant=tenant, day=D)["playbook_runs"] == 1
        evaluate_rules(tenant=tenant, day=D)
        evaluate_rules(tenant=tenant, day=D + dt.timedelta(days=1))
        alert = HealthAlert.objects.get()
        run = PlaybookRun.objects.get()
        assert (run.alert, run.started_by, run.account) == (alert, None, account)
        # Starting it again for the same alert answers the same run.
        assert start_playbook(tenant=tenant, playbook=playbook, account=account, by=None, alert=alert) == run
        assert PlaybookRunStep.objects.count() == 3
        assert CsmTask.objects.filter(source_kind=SourceKind.PLAYBOOK_STEP).count() == 3
        assert CsmTask.objects.filter(source_kind=SourceKind.HEALTH_ALERT).count() == 1
