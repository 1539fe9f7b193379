"""CSM task pages: the list and its filters, the home's "My tasks", the account page's section, complete and
reopen by POST (htmx answers the row), permissions, and bounded queries on every page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import CsmTask, CsmTaskChange
from accounts.selectors import tenant_today
from accounts.worklist.services import TaskError, complete_task, create_task
from tests.factories import MembershipFactory, UserFactory
from tests.support.desk_helpers import count_queries

pytestmark = pytest.mark.django_db


def add_task(world, title, *, account=None, assignee="csm", due_days=1, done=False):
    user = {"csm": world.csm.user, "admin": world.admin.user, None: None}[assignee]
    with world.scope():
        task = create_task(tenant=world.tenant, account=account or world.accounts[0], title=title,
                           due_on=tenant_today(world.tenant) + dt.timedelta(days=due_days), by=world.admin.user,
                           assignee=user)
        if done:
            complete_task(tenant=world.tenant, task=task, by=world.csm.user)
    return task


def list_url(world, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("task-list", args=[world.tenant.slug]) + (f"?{query}" if query else "")


def titles(response) -> list[str]:
    return [t.title for t in response.context["page"].object_list]


def test_list_filters_mine_status_and_overdue(world_a):
    a = world_a
    add_task(a, "Mine soon", due_days=3)
    add_task(a, "Mine late", due_days=-2)
    add_task(a, "Admin's", assignee="admin", due_days=0)
    add_task(a, "Mine done", done=True, due_days=-5)
    csm = a.client_for(a.csm)
    assert titles(csm.get(list_url(a))) == ["Mine late", "Mine soon"]  # a CSM lands on their open tasks
    assert titles(csm.get(list_url(a, show="all"))) == ["Mine late", "Admin's", "Mine soon"]
    assert titles(csm.get(list_url(a, status="done"))) == ["Mine done"]
    assert titles(csm.get(list_url(a, show="all", overdue="on"))) == ["Mine late"]
    assert titles(a.client_for(a.admin).get(list_url(a))) == ["Mine late", "Admin's", "Mine soon"]
    body = csm.get(list_url(a, status="nonsense")).content.decode()
    assert "Filter “Status” ignored" in body  # a bad filter is named, and the default applies


def test_complete_by_htmx_answers_the_row_and_audits(world_a):
    a = world_a
    task = add_task(a, "Call back Jane")
    client = a.client_for(a.csm)
    response = client.post(reverse("task-complete", args=[a.tenant.slug, task.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="task-{task.pk}"') and "Reopen" in body
    with a.scope():
        task.refresh_from_db()
        assert task.done_by_id == a.csm.user.pk and task.done_at is not None
    back = list_url(a, status="all")
    response = client.post(reverse("task-reopen", args=[a.tenant.slug, task.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    response = client.post(reverse("task-complete", args=[a.tenant.slug, task.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("task-detail", args=[a.tenant.slug, task.pk])
    for bad in ("//evil.example/", "2687", "task-list"):  # not an open redirect, nor a view name to reverse
        response = client.post(reverse("task-reopen", args=[a.tenant.slug, task.pk]), {"next": bad})
        assert response["Location"] == reverse("task-detail", args=[a.tenant.slug, task.pk])
    with a.scope():
        actions = list(CsmTaskChange.objects.filter(task=task).order_by("at", "pk").values_list("action", "by"))
    assert actions == [("created", a.admin.user.pk), ("completed", a.csm.user.pk), ("reopened", a.csm.user.pk),
                       ("completed", a.csm.user.pk), ("reopened", a.csm.user.pk)]
    page = client.get(reverse("task-detail", args=[a.tenant.slug, task.pk])).content.decode()
    assert page.count("Completed by") == 2 and page.count("Reopened by") == 2


def test_viewers_read_tasks_but_cannot_change_them(world_a):
    a = world_a
    task = add_task(a, "Look at churn risk")
    viewer = a.client_for(a.viewer)
    body = viewer.get(list_url(a, show="all")).content.decode()
    assert "Look at churn risk" in body and reverse("task-complete", args=[a.tenant.slug, task.pk]) not in body
    assert viewer.post(reverse("task-complete", args=[a.tenant.slug, task.pk])).status_code == 403
    assert viewer.get(reverse("task-complete", args=[a.tenant.slug, task.pk])).status_code == 405
    with a.scope():
        assert CsmTask.objects.get(pk=task.pk).done_at is None


def test_create_task_refuses_a_blank_title_and_a_foreign_contact(world_a):
    a = world_a
    with a.scope(), pytest.raises(TaskError) as error:
        create_task(tenant=a.tenant, account=a.accounts[0], title="  ", due_on=dt.date(2026, 12, 1), by=None)
    assert error.value.field == "title"
    with a.scope(), pytest.raises(TaskError) as error:
        create_task(tenant=a.tenant, account=a.accounts[0], contact=a.contacts[1], title="x",
                    due_on=dt.date(2026, 12, 1), by=None)
    assert error.value.field == "contact"


def _grow(world, n):
    for i in range(n):
        add_task(world, f"Task {i}", account=world.accounts[i % 3], assignee="csm" if i % 2 else None,
                 due_days=i - n // 2, done=i % 5 == 0)


def _queries(client, url, **headers) -> int:
    with count_queries() as ctx:
        assert client.get(url, headers=headers).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("page", ["list", "list-partial", "home", "account", "detail"])
def test_task_pages_queries_do_not_grow(world_a, page):
    a = world_a
    client = a.client_for(a.csm)
    first = add_task(a, "First")
    headers = {"HX-Request": "true"} if page == "list-partial" else {}
    url = {"list": list_url(a, show="all", status="all"), "list-partial": list_url(a, show="all"),
           "home": reverse("tenant-home", args=[a.tenant.slug]),
           "account": reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk]),
           "detail": reverse("task-detail", args=[a.tenant.slug, first.pk])}[page]
    _grow(a, 2)
    few = _queries(client, url, **headers)
    _grow(a, 40)
    with a.scope():
        complete_task(tenant=a.tenant, task=first, by=a.admin.user)
    assert _queries(client, url, **headers) == few


def test_home_and_account_page_show_open_tasks_with_definitions(world_a):
    a = world_a
    add_task(a, "Late one", due_days=-1)
    add_task(a, "Not mine", assignee="admin", account=a.accounts[1])
    add_task(a, "Finished", done=True)
    home = a.client_for(a.csm).get(reverse("tenant-home", args=[a.tenant.slug])).content.decode()
    assert "Late one" in home and "Not mine" not in home and "Finished" not in home
    assert 'id="my-tasks-overdue">1<' in home and "Open tasks whose due day" in home
    account = a.client_for(a.viewer).get(reverse("account-detail", args=[a.tenant.slug, a.accounts[1].pk]))
    body = account.content.decode()
    assert "Not mine" in body and "Late one" not in body and "Tasks not marked done" in body
    with a.scope():
        other = MembershipFactory(tenant=a.tenant, user=UserFactory(username="csm9@alpha.test"), role="csm")
    assert "Late one" not in a.client_for(other).get(reverse("tenant-home", args=[a.tenant.slug])).content.decode()
