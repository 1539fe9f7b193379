"""The closed loop: a detractor or a CSAT <= 2 opens one follow-up task for the account's CSM (once, also
through the sweep), an edit to low opens one, and the time to close the loop (METRICS.md) by a ticket reply,
a logged touch or the task's completion, against hand-computed times."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from accounts.models import CsmTask, CsmTaskChange
from accounts.timeline.services import create_note
from accounts.worklist.services import complete_task, reopen_task
from surveys.loop import tasks as loop_tasks
from surveys.loop.rules import add_business_days
from surveys.loop.selectors import loop_closures
from surveys.loop.services import open_follow_ups, sweep_follow_ups
from surveys.models import SurveyResponse
from surveys.services import record_responses
from tests.support.desk_helpers import add_interaction, make_ticket
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)  # a Monday


def post_responses(world, body):
    return world.api().post("/api/v1/survey-responses", data=json.dumps(body), content_type="application/json")


def tasks_of(world):
    with world.scope():
        return list(CsmTask.objects.order_by("pk"))


def test_detractor_from_the_api_opens_one_task_for_the_accounts_csm(world_a, django_capture_on_commit_callbacks):
    a = world_a
    survey = make_survey(a, kind="nps")
    item = {"survey": str(survey.pk), "contact": "user-1", "score": 3, "comment": "Too slow", "external_id": "r-1"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_responses(a, item).status_code == 200
    [task] = tasks_of(a)
    with a.scope():
        response = SurveyResponse.objects.get(external_id="r-1")
    assert (task.source_kind, task.source_id) == ("survey_response", response.pk)
    assert task.assignee_id == a.csm.user.pk and task.account_id == a.contacts[1].account_id
    assert task.contact_id == a.contacts[1].pk and task.done_at is None
    assert task.title == "Follow up: NPS 3 from Person 1 (Acme 1)"
    assert "Too slow" in task.detail
    with a.scope():
        assert list(CsmTaskChange.objects.values_list("action", "by")) == [("created", None)]
    # The same item again (a duplicate), an edit of it, the hook called again, and the sweep: still one task.
    with django_capture_on_commit_callbacks(execute=True):
        post_responses(a, item)
        post_responses(a, {**item, "score": 2})
    assert open_follow_ups(tenant=a.tenant, response_ids=[response.pk]) == []
    assert sweep_follow_ups(tenant=a.tenant) == []
    assert len(tasks_of(a)) == 1


@pytest.mark.parametrize(("kind", "score", "opens"), [
    ("nps", 6, True), ("nps", 7, False), ("nps", 10, False), ("nps", 0, True),
    ("csat", 2, True), ("csat", 1, True), ("csat", 3, False), ("ces", 1, False),
])
def test_which_scores_open_the_loop(world_a, django_capture_on_commit_callbacks, kind, score, opens):
    survey = make_survey(world_a, kind=kind)
    with django_capture_on_commit_callbacks(execute=True):
        post_responses(world_a, {"survey": str(survey.pk), "contact": "user-0", "score": score})
    assert len(tasks_of(world_a)) == (1 if opens else 0)


def test_an_edit_to_low_opens_one_and_an_edit_up_closes_nothing(world_a, django_capture_on_commit_callbacks):
    a = world_a
    survey = make_survey(a, kind="csat")
    item = {"survey": str(survey.pk), "contact": "user-0", "score": 5, "external_id": "w-1"}
    with django_capture_on_commit_callbacks(execute=True):
        post_responses(a, item)
    assert tasks_of(a) == []
    with django_capture_on_commit_callbacks(execute=True):
        post_responses(a, {**item, "score": 1})
    [task] = tasks_of(a)
    with django_capture_on_commit_callbacks(execute=True):
        post_responses(a, {**item, "score": 5})
    [after] = tasks_of(a)
    assert after.pk == task.pk and after.done_at is None


def test_account_without_csm_gets_an_unassigned_task_due_in_two_business_days(world_a):
    a = world_a
    survey = make_survey(a, kind="nps")
    with a.scope():
        account = a.contacts[2].account
        account.owner_csm = None
        account.save()
        record_responses(tenant=a.tenant, items=[{"survey": str(survey.pk), "contact": "user-2", "score": 1}])
        pk = SurveyResponse.objects.get().pk
    friday = dt.datetime(2026, 11, 6, 20, 0, tzinfo=dt.UTC)  # Friday 12:00 in Los Angeles
    assert open_follow_ups(tenant=a.tenant, response_ids=[pk], now=friday) == [pk]
    [task] = tasks_of(a)
    assert task.assignee_id is None and task.due_on == dt.date(2026, 11, 10)  # Friday + 2 working days = Tuesday


def test_business_days():
    assert add_business_days(dt.date(2026, 11, 2), 2) == dt.date(2026, 11, 4)  # Mon -> Wed
    assert add_business_days(dt.date(2026, 11, 5), 2) == dt.date(2026, 11, 9)  # Thu -> Mon
    assert add_business_days(dt.date(2026, 11, 7), 2) == dt.date(2026, 11, 10)  # Sat -> Tue


def test_sweep_opens_missed_tasks_of_the_last_seven_days_only(world_a, world_b):
    a = world_a
    survey = make_survey(a, kind="nps")
    now = timezone.now()
    with a.scope():
        # record_responses' hook never runs here (the test's transaction does not commit): the sweep's case.
        record_responses(tenant=a.tenant, items=[
            {"survey": str(survey.pk), "contact": "user-0", "score": 2, "external_id": "recent",
             "submitted_at": (now - dt.timedelta(days=2)).isoformat()},
            {"survey": str(survey.pk), "contact": "user-1", "score": 2, "external_id": "old",
             "submitted_at": (now - dt.timedelta(days=8)).isoformat()},
            {"survey": str(survey.pk), "contact": "user-2", "score": 9, "external_id": "happy",
             "submitted_at": (now - dt.timedelta(days=1)).isoformat()},
        ])
        recent = SurveyResponse.objects.get(external_id="recent").pk
    assert tasks_of(a) == []
    # The beat task fans out per tenant; each tenant's task runs in its scope.
    assert loop_tasks.sweep_tenant_follow_ups(a.tenant.pk) == 1
    assert loop_tasks.sweep_tenant_follow_ups(world_b.tenant.pk) == 0
    assert [t.source_id for t in tasks_of(a)] == [recent]
    assert loop_tasks.sweep_tenant_follow_ups(a.tenant.pk) == 0
    assert tasks_of(world_b) == []


def test_task_lifecycle_is_audited(world_a):
    a = world_a
    survey = make_survey(a, kind="nps")
    with a.scope():
        record_responses(tenant=a.tenant, items=[{"survey": str(survey.pk), "contact": "user-0", "score": 0}])
    sweep_follow_ups(tenant=a.tenant)
    [task] = tasks_of(a)
    at = timezone.now()
    with a.scope():
        complete_task(tenant=a.tenant, task=task, by=a.csm.user, now=at)
        complete_task(tenant=a.tenant, task=task, by=a.admin.user)  # a double click keeps the first
        task.refresh_from_db()
        assert (task.done_at, task.done_by_id) == (at, a.csm.user.pk)
        reopen_task(tenant=a.tenant, task=task, by=a.admin.user)
        task.refresh_from_db()
        assert (task.done_at, task.done_by_id) == (None, None)
        history = list(CsmTaskChange.objects.filter(task=task).order_by("at", "pk").values_list("action", "by"))
    assert history == [("created", None), ("completed", a.csm.user.pk), ("reopened", a.admin.user.pk)]


def _low(world, survey, contact, at, external_id):
    with world.scope():
        result = record_responses(tenant=world.tenant, items=[{
            "survey": str(survey.pk), "contact": contact, "score": 1, "external_id": external_id,
            "submitted_at": at.isoformat()}])
        assert result.accepted == 1, result.as_dict()
        return SurveyResponse.objects.get(external_id=external_id)


def test_time_to_close_by_reply_touch_and_task(world_a, world_b):
    """Hand-computed: r1 closed by an agent's reply 90 min after, r2 by a touch 4 h after, r3 by its task
    done 30 min after, r4 open (only an internal note, an inbound message and a reply before the answer)."""
    a = world_a
    survey = make_survey(a, kind="csat")
    r1 = _low(a, survey, "user-0", T0, "r1")  # Acme 0
    r2 = _low(a, survey, "user-1", T0 + dt.timedelta(hours=1), "r2")  # Acme 1
    r3 = _low(a, survey, "user-2", T0 + dt.timedelta(hours=2), "r3")  # Acme 2
    r4 = _low(a, survey, "user-3", T0 + dt.timedelta(hours=3), "r4")  # Acme 0, like user-0
    sweep_follow_ups(tenant=a.tenant, now=T0 + dt.timedelta(days=1))
    with a.scope():
        ticket = make_ticket(a.tenant, "T-loop", contact="user-0")
        add_interaction(a.tenant, ticket, "i-before", started_at=T0 - dt.timedelta(minutes=5),
                        direction="outbound", author_type="agent")
        add_interaction(a.tenant, ticket, "i-in", started_at=T0 + dt.timedelta(minutes=10))
        add_interaction(a.tenant, ticket, "i-note", started_at=T0 + dt.timedelta(minutes=20), direction="outbound",
                        author_type="agent", is_internal=True)
        add_interaction(a.tenant, ticket, "i-reply", started_at=T0 + dt.timedelta(minutes=90), direction="outbound",
                        author_type="agent")
        ticket3 = make_ticket(a.tenant, "T-other", contact="user-3")  # its reply is before r4: no closure
        add_interaction(a.tenant, ticket3, "i-old", started_at=T0, direction="outbound", author_type="agent")

        create_note(tenant=a.tenant, account=a.contacts[1].account, author=a.csm.user, kind="note", subject="",
                    body="just a note", happened_at=T0 + dt.timedelta(hours=2))  # a plain note is no touch
        create_note(tenant=a.tenant, account=a.contacts[1].account, author=a.csm.user, kind="call", subject="",
                    body="called", happened_at=T0 + dt.timedelta(hours=5))
        task3 = CsmTask.objects.get(source_id=r3.pk)
        complete_task(tenant=a.tenant, task=task3, by=a.csm.user, now=T0 + dt.timedelta(hours=2, minutes=30))
    # Tenant B: the same contacts' look-alikes, replied to at once: nothing of it may count in A.
    survey_b = make_survey(world_b, kind="csat")
    _low(world_b, survey_b, "user-3", T0 + dt.timedelta(hours=3), "r4")
    with world_b.scope():
        tb = make_ticket(world_b.tenant, "T-loop", contact="user-3")
        add_interaction(world_b.tenant, tb, "i-reply", started_at=T0 + dt.timedelta(hours=3, minutes=1),
                        direction="outbound", author_type="agent")
    with a.scope():
        report = loop_closures(tenant=a.tenant, start=T0 - dt.timedelta(days=1), end=T0 + dt.timedelta(days=1))
    closed = {loop.response.pk: (loop.closed_by, loop.seconds) for loop in report.closed_loops}
    assert closed == {r1.pk: ("reply", 5400.0), r2.pk: ("touch", 14400.0), r3.pk: ("task", 1800.0)}
    assert [loop.response.pk for loop in report.open_loops] == [r4.pk]
    assert (report.total, report.closed_count, report.open_count) == (4, 3, 1)
    assert report.median_seconds == 5400.0
    assert report.p90_seconds == pytest.approx(5400 + 0.8 * (14400 - 5400))  # interpolated: 12600
    # Reopening the task reopens a loop only a task closed.
    with a.scope():
        reopen_task(tenant=a.tenant, task=task3, by=a.csm.user)
        report = loop_closures(tenant=a.tenant, start=T0 - dt.timedelta(days=1), end=T0 + dt.timedelta(days=1))
    assert [loop.response.pk for loop in report.open_loops] == [r3.pk, r4.pk]


def test_a_completion_before_the_answer_does_not_close_it(world_a):
    """An edit that moves submitted_at past the task's completion: no negative time, the loop is open again."""
    a = world_a
    survey = make_survey(a, kind="nps")
    r = _low(a, survey, "user-0", T0, "moved")
    sweep_follow_ups(tenant=a.tenant, now=T0)
    with a.scope():
        complete_task(tenant=a.tenant, task=CsmTask.objects.get(source_id=r.pk), by=None,
                      now=T0 + dt.timedelta(hours=1))
        period = {"start": T0 - dt.timedelta(days=1), "end": T0 + dt.timedelta(days=1)}
        assert loop_closures(tenant=a.tenant, **period).closed_loops[0].seconds == 3600.0
        record_responses(tenant=a.tenant, items=[{"survey": str(survey.pk), "contact": "user-0", "score": 1,
                                                  "external_id": "moved",
                                                  "submitted_at": (T0 + dt.timedelta(hours=2)).isoformat()}])
        report = loop_closures(tenant=a.tenant, **period)
    assert [loop.response.pk for loop in report.open_loops] == [r.pk] and report.closed_count == 0
