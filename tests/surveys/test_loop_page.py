"""The closed-loop page: figures with their definitions, open loops oldest first, closed ones with their time,
completing the task or logging a touch closes a loop, bad periods a 400 naming the field, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import CsmTask
from accounts.timeline.services import create_note
from surveys.loop.services import sweep_follow_ups
from surveys.services import record_responses
from tests.support.desk_helpers import count_queries
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db


def loop_url(world, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("survey-loop", args=[world.tenant.slug]) + (f"?{query}" if query else "")


def _answers(world, n, *, hours_ago=5):
    survey = make_survey(world, kind="nps", name=f"NPS {n}")
    at = timezone.now() - dt.timedelta(hours=hours_ago)
    with world.scope():
        record_responses(tenant=world.tenant, items=[
            {"survey": str(survey.pk), "contact": f"user-{i % 4}", "score": i % 7, "comment": f"c{i}",
             "submitted_at": (at + dt.timedelta(minutes=i)).isoformat()} for i in range(n)])
    sweep_follow_ups(tenant=world.tenant)


def test_page_shows_open_loops_then_closes_them_by_task_and_touch(world_a):
    a = world_a
    _answers(a, 2)  # user-0 (Acme 0) then user-1 (Acme 1), both detractors
    client = a.client_for(a.viewer)
    response = client.get(loop_url(a))
    assert response.status_code == 200
    report = response.context["report"]
    assert [loop.response.contact.external_id for loop in report.open_loops] == ["user-0", "user-1"]  # oldest first
    body = response.content.decode()
    assert "from its submitted time to the first outbound contact" in body  # the definition is shown
    assert 'id="loop-open">2<' in body and 'id="loop-median">—<' in body
    with a.scope():
        task = CsmTask.objects.get(contact=a.contacts[0])
    a.client_for(a.csm).post(reverse("task-complete", args=[a.tenant.slug, task.pk]))
    with a.scope():
        create_note(tenant=a.tenant, account=a.accounts[1], author=a.csm.user, kind="meeting", subject="",
                    body="met them", happened_at=timezone.now())
    report = client.get(loop_url(a)).context["report"]
    assert report.open_loops == [] and report.closed_count == 2
    assert {loop.closed_by for loop in report.closed_loops} == {"task", "touch"}
    assert all(4 * 3600 < loop.seconds < 6 * 3600 for loop in report.closed_loops)


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "2026-13-01"}, "Enter a valid date"),
    ({"start": "2026-11-10", "end": "2026-11-01"}, "From: must be on or before To."),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "at most 731 days"),
    ({"end": "1999-12-31"}, "The date"),
])
def test_bad_period_is_a_400_naming_the_field(world_a, params, message):
    response = world_a.client_for().get(loop_url(world_a, **params))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_period_is_in_the_tenants_days(world_a):
    a = world_a
    _answers(a, 1, hours_ago=0)
    today = timezone.now().astimezone(a.tenant.zone).date()
    assert a.client_for().get(loop_url(a, start=today, end=today)).context["report"].total == 1
    yesterday = today - dt.timedelta(days=1)
    assert a.client_for().get(loop_url(a, start=yesterday, end=yesterday)).context["report"].total == 0


def test_loop_page_queries_do_not_grow(world_a):
    a = world_a
    client = a.client_for(a.csm)
    _answers(a, 3)

    def queries() -> int:
        with count_queries() as ctx:
            assert client.get(loop_url(a)).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    _answers(a, 60)
    with a.scope():
        for task in CsmTask.objects.all()[:20]:
            create_note(tenant=a.tenant, account=task.account, author=None, kind="call", subject="", body="x",
                        happened_at=timezone.now())
    assert queries() == few <= 9
