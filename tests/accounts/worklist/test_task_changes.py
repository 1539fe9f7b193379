"""Snooze, comment, reassign and due-day changes of CSM tasks: the services' rules and audit rows, the open
lists hiding a snoozed task until its day, the "Snoozed" filter, the task page's forms, sources and history,
and the "Open tasks" account column."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CsmTask, CsmTaskChange, CsmTaskComment
from accounts.selectors import tenant_today
from accounts.worklist import selectors
from accounts.worklist.models import SourceKind
from accounts.worklist.services import (
    SourcedTask,
    TaskError,
    add_comment,
    change_due_day,
    complete_task,
    open_tasks_for_sources,
    reassign_task,
    snooze_task,
)
from tests.accounts.worklist.test_task_pages import add_task, list_url, titles
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def actions(world, task) -> list[tuple[str, int | None, str]]:
    with world.scope():
        return list(CsmTaskChange.objects.filter(task=task).order_by("at", "pk").values_list("action", "by", "note"))


def test_snooze_rules_move_and_audit(world_a):
    a = world_a
    task = add_task(a, "Check in")
    today = tenant_today(a.tenant)
    with a.scope():
        for bad, message in ((today, "after today"), (today - dt.timedelta(days=3), "after today"),
                             (today + dt.timedelta(days=366), "365 days")):
            with pytest.raises(TaskError) as error:
                snooze_task(tenant=a.tenant, task=task, until=bad, by=a.csm.user)
            assert error.value.field == "until" and message in str(error.value)
        snooze_task(tenant=a.tenant, task=task, until=today + dt.timedelta(days=365), by=a.csm.user)
        snooze_task(tenant=a.tenant, task=task, until=today + dt.timedelta(days=2), by=a.csm.user)  # moves it
        assert CsmTask.objects.get(pk=task.pk).snoozed_until == today + dt.timedelta(days=2)
        complete_task(tenant=a.tenant, task=task, by=a.csm.user)  # completing clears nothing
        assert CsmTask.objects.get(pk=task.pk).snoozed_until == today + dt.timedelta(days=2)
        with pytest.raises(TaskError, match="done task cannot be snoozed"):
            snooze_task(tenant=a.tenant, task=task, until=today + dt.timedelta(days=5), by=a.csm.user)
    assert [row[0] for row in actions(a, task)] == ["created", "snoozed", "snoozed", "completed"]
    assert actions(a, task)[2][2] == f"until {(today + dt.timedelta(days=2)).isoformat()}"


def test_open_lists_hide_a_snoozed_task_until_its_day(world_a):
    a = world_a
    today = tenant_today(a.tenant)
    task = add_task(a, "Snoozed one")
    add_task(a, "Still open")
    with a.scope():
        snooze_task(tenant=a.tenant, task=task, until=today + dt.timedelta(days=3), by=a.csm.user)
    csm = a.client_for(a.csm)
    assert titles(csm.get(list_url(a))) == ["Still open"]
    assert titles(csm.get(list_url(a, status="snoozed"))) == ["Snoozed one"]
    assert "Snoozed until" in csm.get(list_url(a, status="snoozed")).content.decode()
    assert set(titles(csm.get(list_url(a, status="all")))) == {"Snoozed one", "Still open"}
    home = csm.get(reverse("tenant-home", args=[a.tenant.slug])).content.decode()
    assert "Still open" in home and "Snoozed one" not in home
    assert 'id="my-tasks-open">1<' in home and 'status=snoozed">1<' in home
    with a.scope():
        # From its snooze day on, the task is open again (the lists compare with the local day).
        on_the_day = selectors.task_list(tenant=a.tenant, today=today + dt.timedelta(days=3), assignee=a.csm.user)
        assert {t.title for t in on_the_day} == {"Snoozed one", "Still open"}
        before = selectors.task_list(tenant=a.tenant, today=today + dt.timedelta(days=2), assignee=a.csm.user)
        assert [t.title for t in before] == ["Still open"]
        counts = selectors.open_tasks_by_account(tenant=a.tenant, account_ids=[a.accounts[0].pk], now=timezone.now())
        assert counts == {a.accounts[0].pk: 1}


def test_my_tasks_order_overdue_then_today_then_later(world_a):
    a = world_a
    add_task(a, "Later", due_days=4)
    add_task(a, "Today", due_days=0)
    add_task(a, "Overdue", due_days=-3)
    body = a.client_for(a.csm).get(list_url(a))
    assert titles(body) == ["Overdue", "Today", "Later"]
    assert "(today)" in body.content.decode()


def test_comment_bounds_and_audit(world_a):
    a = world_a
    task = add_task(a, "Talk")
    with a.scope():
        for bad in ("", "   ", "x" * 5001):
            with pytest.raises(TaskError) as error:
                add_comment(tenant=a.tenant, task=task, body=bad, by=a.csm.user)
            assert error.value.field == "comment"
        add_comment(tenant=a.tenant, task=task, body="x" * 5000, by=a.csm.user)
        add_comment(tenant=a.tenant, task=task, body="  Called, no answer  ", by=None)
        bodies = list(CsmTaskComment.objects.filter(task=task).order_by("at", "pk").values_list("body", "by"))
    assert bodies == [("x" * 5000, a.csm.user.pk), ("Called, no answer", None)]
    assert [r[:2] for r in actions(a, task)][1:] == [("commented", a.csm.user.pk), ("commented", None)]


def test_reassign_and_due_day_are_audited_and_bounded(world_a):
    a = world_a
    task = add_task(a, "Move me")
    with a.scope():
        with pytest.raises(TaskError) as error:
            reassign_task(tenant=a.tenant, task=task, assignee=a.viewer.user, by=a.admin.user)
        assert error.value.field == "assignee"
        stranger = UserFactory(username="nobody@else.test")
        with pytest.raises(TaskError):
            reassign_task(tenant=a.tenant, task=task, assignee=stranger, by=a.admin.user)
        reassign_task(tenant=a.tenant, task=task, assignee=a.admin.user, by=a.admin.user)
        reassign_task(tenant=a.tenant, task=task, assignee=a.admin.user, by=a.admin.user)  # no change, no row
        reassign_task(tenant=a.tenant, task=task, assignee=None, by=a.admin.user)
        with pytest.raises(TaskError) as error:
            change_due_day(tenant=a.tenant, task=task, due_on=dt.date(1999, 12, 31), by=a.admin.user)
        assert error.value.field == "due_on"
        change_due_day(tenant=a.tenant, task=task, due_on=dt.date(2030, 1, 2), by=a.admin.user)
        assert CsmTask.objects.get(pk=task.pk).assignee_id is None
    rows = actions(a, task)
    assert [r[0] for r in rows] == ["created", "assigned", "assigned", "due_changed"]
    assert rows[1][2].startswith("from ") and rows[2][2].endswith("to nobody")
    assert rows[3][2].endswith("to 2030-01-02")


def test_task_page_forms_change_the_task_or_name_the_field(world_a):
    a = world_a
    task = add_task(a, "Renewal call")
    client = a.client_for(a.csm)
    detail = reverse("task-detail", args=[a.tenant.slug, task.pk])
    today = tenant_today(a.tenant)
    response = client.post(reverse("task-snooze", args=[a.tenant.slug, task.pk]), {"until": today.isoformat()})
    assert response.status_code == 400 and "a day after today" in response.content.decode()
    response = client.post(reverse("task-snooze", args=[a.tenant.slug, task.pk]), {"until": "2026-02-31"})
    assert response.status_code == 400
    until = today + dt.timedelta(days=7)
    response = client.post(reverse("task-snooze", args=[a.tenant.slug, task.pk]), {"until": until.isoformat()})
    assert response.status_code == 302 and response["Location"] == detail
    response = client.post(reverse("task-comment", args=[a.tenant.slug, task.pk]), {"comment": "   "})
    assert response.status_code == 400
    assert client.post(reverse("task-comment", args=[a.tenant.slug, task.pk]),
                       {"comment": "Left a voicemail"}).status_code == 302
    assert client.post(reverse("task-due", args=[a.tenant.slug, task.pk]), {"due_on": "2031-05-06"}).status_code == 302
    assert client.post(reverse("task-assign", args=[a.tenant.slug, task.pk]),
                       {"assignee": a.viewer.user.pk}).status_code == 400  # not a choice: viewers own no tasks
    assert client.post(reverse("task-assign", args=[a.tenant.slug, task.pk]),
                       {"assignee": a.admin.user.pk}).status_code == 302
    page = client.get(detail).content.decode()
    assert "Left a voicemail" in page and f"until {until.isoformat()}" in page
    assert "Due day changed from" in page and "Reassigned from" in page and "Snoozed until" in page
    viewer = a.client_for(a.viewer)
    assert viewer.post(reverse("task-comment", args=[a.tenant.slug, task.pk]), {"comment": "hi"}).status_code == 403
    assert 'id="comment-form"' not in viewer.get(detail).content.decode()
    with a.scope():
        task.refresh_from_db()
    assert task.due_on == dt.date(2031, 5, 6) and task.assignee_id == a.admin.user.pk


def test_rows_show_their_source_with_a_link(world_a):
    a = world_a
    with a.scope():
        open_tasks_for_sources(tenant=a.tenant, source_kind=SourceKind.SURVEY_RESPONSE, tasks=[SourcedTask(
            source_id=77, account_id=a.accounts[0].pk, contact_id=None, assignee_id=a.csm.user.pk,
            title="Detractor follow-up", detail="", due_on=tenant_today(a.tenant))])
        open_tasks_for_sources(tenant=a.tenant, source_kind=SourceKind.HEALTH_ALERT, tasks=[SourcedTask(
            source_id=78, account_id=a.accounts[1].pk, contact_id=None, assignee_id=a.csm.user.pk,
            title="Health dropped", detail="", due_on=tenant_today(a.tenant))])
    add_task(a, "By hand")
    body = a.client_for(a.csm).get(list_url(a)).content.decode()
    assert f'href="{reverse("survey-loop", args=[a.tenant.slug])}">Survey response<' in body
    # The health app registers its own page for alert tasks: the account's alerts and playbook runs.
    assert f'{reverse("account-alerts", args=[a.tenant.slug, a.accounts[1].pk])}">Health alert<' in body
    assert "Created by hand" in body


@pytest.mark.parametrize("page", ["list-snoozed", "detail"])
def test_changed_task_pages_queries_do_not_grow(world_a, django_assert_max_num_queries, page):
    a = world_a
    client = a.client_for(a.csm)
    today = tenant_today(a.tenant)
    first = add_task(a, "First")

    def grow(n):
        for i in range(n):
            task = add_task(a, f"Task {i}", account=a.accounts[i % 3])
            with a.scope():
                snooze_task(tenant=a.tenant, task=task, until=today + dt.timedelta(days=1 + i), by=a.csm.user)
                add_comment(tenant=a.tenant, task=first, body=f"note {i}", by=a.csm.user)
                snooze_task(tenant=a.tenant, task=first, until=today + dt.timedelta(days=1 + i), by=a.admin.user)
            MembershipFactory(tenant=a.tenant, user=UserFactory(username=f"csm{i}.{n}@alpha.test"), role="csm")

    url = {"list-snoozed": list_url(a, status="snoozed", show="all"),
           "detail": reverse("task-detail", args=[a.tenant.slug, first.pk])}[page]
    most = {"list-snoozed": 7, "detail": 9}[page]  # the detail: task, history, comments, assignee choices
    grow(2)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
    grow(30)
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200
