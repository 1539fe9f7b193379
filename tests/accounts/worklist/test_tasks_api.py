"""The tasks API: the list's filters (assignee, status, account) and their 400s, and POST /tasks/{id}'s
actions, their 400s naming the field, and the audit rows without a user."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import CsmTask, CsmTaskChange, CsmTaskComment
from accounts.selectors import tenant_today
from accounts.worklist.services import snooze_task
from tests.accounts.worklist.test_task_pages import add_task

pytestmark = pytest.mark.django_db


def listed(world, query: str = "") -> list[str]:
    response = world.api().get(f"/api/v1/tasks{query}")
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def post(world, task, body):
    return world.api().post(f"/api/v1/tasks/{task.pk}", body, content_type="application/json")


def test_list_filters_by_assignee_status_and_account(world_a):
    a = world_a
    mine = add_task(a, "Mine")
    add_task(a, "Admin's", assignee="admin", account=a.accounts[1])
    add_task(a, "Done", done=True)
    snoozed = add_task(a, "Snoozed")
    with a.scope():
        snooze_task(tenant=a.tenant, task=snoozed, until=tenant_today(a.tenant) + dt.timedelta(days=2), by=None)
    assert sorted(listed(a)) == ["Admin's", "Mine"]  # open by default
    assert listed(a, "?status=snoozed") == ["Snoozed"]
    assert listed(a, "?status=done") == ["Done"]
    assert sorted(listed(a, "?status=all")) == ["Admin's", "Done", "Mine", "Snoozed"]
    assert listed(a, f"?assignee={a.csm.user.email.upper()}") == ["Mine"]
    assert listed(a, "?account=acc-1&status=all") == ["Admin's"]
    row = a.api().get("/api/v1/tasks?status=all&assignee=" + a.csm.user.email).json()["results"]
    by_title = {r["title"]: r for r in row}
    assert by_title["Snoozed"]["status"] == "snoozed" and by_title["Done"]["status"] == "done"
    assert by_title["Mine"]["account"] == "acc-0" and by_title["Mine"]["id"] == mine.pk
    for query, field in (("?status=later", "status"), ("?limit=0", "limit"), ("?account=" + "x" * 200, "account"),
                         ("?updated_since=yesterday", "updated_since"), ("?assignee=" + "a" * 300, "assignee")):
        response = a.api().get(f"/api/v1/tasks{query}")
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field, query


def test_post_actions_answer_the_task_and_audit_without_a_user(world_a):
    a = world_a
    task = add_task(a, "Via the API")
    today = tenant_today(a.tenant)
    until = (today + dt.timedelta(days=3)).isoformat()
    response = post(a, task, {"action": "snooze", "until": until})
    assert response.status_code == 200 and response.json()["status"] == "snoozed"
    assert response.json()["snoozed_until"] == until
    assert post(a, task, {"action": "comment", "comment": "Emailed the champion"}).status_code == 200
    assert post(a, task, {"action": "complete"}).json()["status"] == "done"
    assert post(a, task, {"action": "complete"}).status_code == 200  # twice changes nothing
    assert post(a, task, {"action": "reopen"}).json()["status"] == "snoozed"  # reopening keeps the snooze day
    with a.scope():
        rows = list(CsmTaskChange.objects.filter(task=task).order_by("at", "pk").values_list("action", "by"))
        assert CsmTaskComment.objects.get(task=task).by_id is None
    assert rows[1:] == [("snoozed", None), ("commented", None), ("completed", None), ("reopened", None)]
    page = a.client_for(a.csm).get(f"/t/{a.tenant.slug}/tasks/{task.pk}/").content.decode()
    assert "the platform or the API" in page and "the API: " in page


@pytest.mark.parametrize(("body", "field"), [
    ({}, "action"),
    ({"action": "delete"}, "action"),
    ({"action": "snooze"}, "until"),
    ({"action": "snooze", "until": "2026-13-01"}, "until"),
    ({"action": "snooze", "until": "1999-01-01"}, "until"),
    ({"action": "comment"}, "comment"),
    ({"action": "comment", "comment": "   "}, "comment"),
    ({"action": "comment", "comment": "x" * 5001}, "comment"),
    ({"action": "complete", "note": "?"}, "note"),
])
def test_post_refuses_bad_input_naming_the_field(world_a, body, field):
    a = world_a
    task = add_task(a, "Careful")
    response = post(a, task, body)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    with a.scope():
        assert CsmTaskChange.objects.filter(task=task).count() == 1 and not CsmTaskComment.objects.exists()
        assert CsmTask.objects.get(pk=task.pk).snoozed_until is None


def test_snoozing_a_done_task_or_today_names_until(world_a):
    a = world_a
    task = add_task(a, "Done already", done=True)
    tomorrow = (tenant_today(a.tenant) + dt.timedelta(days=1)).isoformat()
    response = post(a, task, {"action": "snooze", "until": tomorrow})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "until"
    response = post(a, add_task(a, "Open"), {"action": "snooze", "until": tenant_today(a.tenant).isoformat()})
    assert response.status_code == 400 and "after today" in response.json()["errors"][0]["message"]


def test_another_tenants_task_is_a_404_and_unchanged(world_a, world_b):
    task = add_task(world_a, "Alpha's")
    assert world_b.api().get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert post(world_b, task, {"action": "complete"}).status_code == 404
    assert world_b.api().get("/api/v1/tasks?status=all").json()["results"] == []
    with world_a.scope():
        assert CsmTask.objects.get(pk=task.pk).done_at is None
