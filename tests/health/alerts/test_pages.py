"""The alert pages: rules (list, edit: 400 naming the field, nothing written), playbooks (create, steps by htmx,
start by hand), recent alerts (filter, links to task and account), the account's alerts block; permissions
and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.worklist.models import CsmTask, SourceKind
from health.alerts.models import AlertRule, Playbook, PlaybookRun, PlaybookStep, RuleKind
from health.alerts.services import PlaybookData, StepData, add_step, evaluate_rules, save_playbook
from tests.factories import AccountFactory
from tests.health.alerts.helpers import D, only_rule, put_scores

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def url(world, name, *args):
    return reverse(name, args=[world.tenant.slug, *args])


def playbook_with_steps(world, name="Rescue", n=3):
    with world.scope():
        playbook = save_playbook(tenant=world.tenant, playbook=None, data=PlaybookData(name=name))
        for i in range(n):
            add_step(tenant=world.tenant, playbook=playbook, data=StepData(title=f"Step {i + 1}", due_offset_days=i))
    return playbook


def test_rule_list_creates_the_defaults_and_needs_manage(world_a, django_assert_max_num_queries):
    admin = world_a.client_for(world_a.admin)
    with django_assert_max_num_queries(14):
        response = admin.get(url(world_a, "alert-rule-list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Health drops 15 points in 7 days" in body and "Points dropped (at least): 15; Within days: 7" in body
    assert "One alert per run of days" in body  # the kind's definition
    assert world_a.client_for(world_a.csm).get(url(world_a, "alert-rule-list")).status_code == 403
    partial = admin.get(url(world_a, "alert-rule-list"), headers=HX).content.decode()
    assert "<html" not in partial and 'id="alert-rules"' in partial


def test_rule_edit_saves_and_bad_input_answers_400_naming_the_field(world_a):
    admin = world_a.client_for(world_a.admin)
    admin.get(url(world_a, "alert-rule-list"))
    playbook = playbook_with_steps(world_a)
    with world_a.scope():
        rule = AlertRule.objects.get(kind=RuleKind.SCORE_DROP)
    edit = url(world_a, "alert-rule-edit", rule.pk)
    assert admin.get(edit).status_code == 200
    bad = admin.post(edit, {"name": "Drop", "is_active": "on", "due_in_days": "2", "param_points": "500",
                            "param_days": "7"})
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 100" in bad.content.decode()
    taken = admin.post(edit, {"name": "Health turns red", "due_in_days": "2", "param_points": "10", "param_days": "7"})
    assert taken.status_code == 400 and "another rule has this name" in taken.content.decode()
    with world_a.scope():
        rule.refresh_from_db()
        assert (rule.name, rule.params) == ("Health drops 15 points in 7 days", {"points": 15, "days": 7})
    ok = admin.post(edit, {"name": "Drop", "due_in_days": "2", "param_points": "10", "param_days": "3",
                           "playbook": playbook.pk})
    assert ok.status_code == 302
    with world_a.scope():
        rule.refresh_from_db()
        assert (rule.name, rule.is_active, rule.params, rule.due_in_days, rule.playbook) == (
            "Drop", False, {"points": 10, "days": 3}, 2, playbook)


def test_playbook_create_steps_by_htmx_and_queries(world_a, django_assert_max_num_queries):
    admin = world_a.client_for(world_a.admin)
    assert admin.post(url(world_a, "playbook-add"), {"name": ""}).status_code == 400
    created = admin.post(url(world_a, "playbook-add"), {"name": "Rescue", "description": "When red", "is_active": "on"})
    assert created.status_code == 302
    with world_a.scope():
        playbook = Playbook.objects.get()
    add = url(world_a, "playbook-step-add", playbook.pk)
    for title, offset in (("Call", "0"), ("Plan", "5"), ("Review", "30")):
        response = admin.post(add, {"title": title, "due_offset_days": offset}, headers=HX)
        assert response.status_code == 200 and "<html" not in response.content.decode()
    bad = admin.post(add, {"title": "Late", "due_offset_days": "366"}, headers=HX)
    assert bad.status_code == 400 and "less than or equal to 365" in bad.content.decode()
    with world_a.scope():
        review = PlaybookStep.objects.get(title="Review")
    admin.post(url(world_a, "playbook-step-move", review.pk), {"direction": "up"}, headers=HX)
    assert admin.post(url(world_a, "playbook-step-move", review.pk), {"direction": "sideways"}).status_code == 400
    with world_a.scope():
        plan = PlaybookStep.objects.get(title="Plan")
    admin.post(url(world_a, "playbook-step-delete", plan.pk), headers=HX)
    admin.post(url(world_a, "playbook-step-edit", review.pk), {"title": "Review usage", "due_offset_days": "20"},
               headers=HX)
    with world_a.scope():
        assert list(playbook.steps.values_list("position", "title", "due_offset_days")) == [
            (1, "Call", 0), (2, "Review usage", 20)]
    with django_assert_max_num_queries(14):
        page = admin.get(url(world_a, "playbook-detail", playbook.pk))
    assert page.status_code == 200 and "Review usage" in page.content.decode()
    with django_assert_max_num_queries(12):
        assert admin.get(url(world_a, "playbook-list")).status_code == 200
    # A CSM may start playbooks but not edit them.
    csm = world_a.client_for(world_a.csm)
    assert csm.get(url(world_a, "playbook-detail", playbook.pk)).status_code == 200
    assert csm.post(add, {"title": "Mine", "due_offset_days": "1"}).status_code == 403
    assert csm.post(url(world_a, "playbook-detail", playbook.pk), {"name": "Renamed"}).status_code == 403
    assert world_a.client_for(world_a.viewer).get(url(world_a, "playbook-list")).status_code == 403


def test_start_by_hand_from_the_playbook_page_and_the_account_block(world_a):
    playbook = playbook_with_steps(world_a, n=2)
    csm = world_a.client_for(world_a.csm)
    start = url(world_a, "playbook-start", playbook.pk)
    assert csm.post(start, {"account": "no-such"}).status_code == 400
    assert csm.post(start, {"account": "acc-1"}).status_code == 302  # by external id
    assert csm.post(start, {"account": "acme 2"}).status_code == 302  # by name, case aside
    account = world_a.accounts[0]
    block = csm.get(url(world_a, "account-alerts", account.pk))
    assert block.status_code == 200 and 'id="start-playbook"' in block.content.decode()
    started = csm.post(url(world_a, "account-playbook-start", account.pk), {"playbook": playbook.pk}, headers=HX)
    assert started.status_code == 200 and "started" in started.content.decode()
    assert csm.post(url(world_a, "account-playbook-start", account.pk), {"playbook": "999999"}).status_code == 400
    with world_a.scope():
        runs = PlaybookRun.objects.order_by("pk")
        assert [r.account.external_id for r in runs] == ["acc-1", "acc-2", "acc-0"]
        assert all(r.started_by == world_a.csm.user for r in runs)
        assert CsmTask.objects.filter(source_kind=SourceKind.PLAYBOOK_STEP).count() == 6
    viewer = world_a.client_for(world_a.viewer)
    assert 'id="start-playbook"' not in viewer.get(url(world_a, "account-alerts", account.pk)).content.decode()
    assert viewer.post(url(world_a, "account-playbook-start", account.pk), {"playbook": playbook.pk}).status_code == 403


def test_recent_alerts_filter_and_link_to_task_and_account(world_a, django_assert_max_num_queries):
    tenant = world_a.tenant
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED)
        for i in range(6):
            account = AccountFactory(tenant=tenant, external_id=f"red-{i}", name=f"Red {i}")
            put_scores(tenant, account, {D: 10 + i})
        evaluate_rules(tenant=tenant, day=D)
        AlertRule.objects.filter(kind=RuleKind.DETRACTOR).update(is_active=True)
        task = CsmTask.objects.filter(source_kind=SourceKind.HEALTH_ALERT).order_by("pk").first()
    viewer = world_a.client_for(world_a.viewer)
    with django_assert_max_num_queries(12):
        response = viewer.get(url(world_a, "alert-list"))
    body = response.content.decode()
    assert response.status_code == 200 and body.count('data-kind="turns_red"') == 6
    assert reverse("task-detail", args=[tenant.slug, task.pk]) in body
    assert reverse("account-detail", args=[tenant.slug, task.account_id]) in body
    assert "Band turns red (6)" in body
    filtered = viewer.get(url(world_a, "alert-list"), {"kind": "detractor"}, headers=HX).content.decode()
    assert "<html" not in filtered and "No alerts of this kind" in filtered
    assert viewer.get(url(world_a, "alert-list"), {"kind": "bogus"}).status_code == 200  # an unknown kind: all


def test_the_account_page_loads_its_alerts_block(world_a, django_assert_max_num_queries):
    tenant, account = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED)
        put_scores(tenant, account, {D: 10, D - dt.timedelta(days=1): 80})
        evaluate_rules(tenant=tenant, day=D)
    client = world_a.client_for(world_a.csm)
    page = client.get(reverse("account-detail", args=[tenant.slug, account.pk])).content.decode()
    assert reverse("account-alerts", args=[tenant.slug, account.pk]) in page
    with django_assert_max_num_queries(12):
        block = client.get(url(world_a, "account-alerts", account.pk))
    assert "Health turned red (10)" in block.content.decode()
