"""Product tasks completed by ingested usage events (learning.events): after the merge of a batch, by
the catch-up of a new enrollment over the learner's history, never by a near miss, never twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from health.usage.services.ingest import ingest_events
from health.usage.services.rollups import merge_pending_usage
from learning import events as learning_events
from learning.models import Enrollment, EnrollmentStatus, Step, StepProgress
from learning.paths.services import StepData
from learning.services import enroll
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db

TASK = StepData(kind="product_task", title="Create your first pipeline", event_name="pipeline.created",
                event_match={"template": "blank", "public": True})


@pytest.fixture(autouse=True)
def _fresh_waiting_cache():
    learning_events.forget_waiting()
    yield
    learning_events.forget_waiting()


def task_path(tenant, name="Pipelines", **kwargs):
    return published_path(tenant, name, steps=[TASK], **kwargs)


def event(event_id, *, contact="user-0", account="acc-0", name="pipeline.created", at=None, **properties):
    at = at or timezone.now() - dt.timedelta(minutes=5)
    return {"event_id": event_id, "account": account, "contact": contact, "name": name,
            "occurred_at": at.isoformat(), "properties": properties}


def ingest_and_merge(world, items, django_capture_on_commit_callbacks):
    """A batch stored, then the merge task's work with its after-commit hooks run (as the worker would)."""
    with world.scope():
        result = ingest_events(tenant=world.tenant, items=items)
        assert not result.rejected, result.rejected
        with django_capture_on_commit_callbacks(execute=True):
            merge_pending_usage(tenant=world.tenant)


def the_step(path):
    return Step.objects.get(version=path.current_version, key="create-your-first-pipeline")


def test_matching_event_completes_the_task_with_its_evidence_and_near_misses_do_not(
        world_a, django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    with world_a.scope():
        path = task_path(tenant)
        enroll(tenant=tenant, contact_ids=[world_a.contacts[0].pk])
        enrollment = Enrollment.objects.get(contact=world_a.contacts[0], path=path)
        step = the_step(path)
        assert learning_events.task_state(tenant=tenant, enrollment=enrollment, step=step).never_seen
    near = timezone.now() - dt.timedelta(minutes=30)
    ingest_and_merge(world_a, [
        event("other-name", name="pipeline.viewed", template="blank", public=True, at=near),
        event("prop-different", template="sales", public=True, at=near + dt.timedelta(minutes=1)),
        event("prop-missing", template="blank", at=near + dt.timedelta(minutes=2)),
        event("prop-is-an-object", template={"blank": 1}, public=True, at=near + dt.timedelta(minutes=3)),
        event("other-contact", contact="user-1", account="acc-1", template="blank", public=True),
    ], django_capture_on_commit_callbacks)
    with world_a.scope():
        assert not StepProgress.objects.exists()
        state = learning_events.task_state(tenant=tenant, enrollment=enrollment, step=step)
        assert not state.done and not state.never_seen
        assert state.near_miss["event_id"] == "prop-is-an-object"  # the latest of that name that failed
        assert state.near_miss["mismatches"] == [{"key": "template", "wanted": "blank", "got": '{"blank": 1}'}]
    done_at = timezone.now()  # after the enrollment: its own time is the step's
    ingest_and_merge(world_a, [event("the-one", template="blank", public=True, extra="x", at=done_at)],
                     django_capture_on_commit_callbacks)
    with world_a.scope():
        progress = StepProgress.objects.get(enrollment=enrollment, step=step)
        assert progress.done_at == done_at
        assert progress.evidence == {"kind": "event", "event_id": "the-one", "event_name": "pipeline.created",
                                     "occurred_at": progress.evidence["occurred_at"],
                                     "properties": {"template": "blank", "public": True}}
        assert dt.datetime.fromisoformat(progress.evidence["occurred_at"]) == done_at
        enrollment.refresh_from_db()
        assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.completed_at == done_at
        assert enrollment.certificate_code
        state = learning_events.task_state(tenant=tenant, enrollment=enrollment, step=step)
        assert state.done and state.evidence["event_id"] == "the-one"


def test_the_earliest_matching_event_of_a_batch_is_the_evidence(world_a, django_capture_on_commit_callbacks):
    with world_a.scope():
        path = task_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
    first = timezone.now() - dt.timedelta(minutes=20)
    ingest_and_merge(world_a, [event("later", template="blank", public=True, at=first + dt.timedelta(minutes=5)),
                               event("earlier", template="blank", public="true", at=first)],
                     django_capture_on_commit_callbacks)
    with world_a.scope():
        # "true" as a string matches true: both are the text "true" (the rule of match_text).
        assert StepProgress.objects.get(step=the_step(path)).evidence["event_id"] == "earlier"


def test_an_event_before_the_enrollment_counts_and_a_rerun_changes_nothing(
        world_a, django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    # Last week, in another local day than today: the catch-up finds the day through the rollups.
    sent = timezone.now() - dt.timedelta(days=7)
    ingest_and_merge(world_a, [event("old", template="blank", public=True, at=sent),
                               event("old-miss", contact="user-3", template="sales", public=True, at=sent)],
                     django_capture_on_commit_callbacks)
    with world_a.scope():
        path = task_path(tenant)
        contacts = [world_a.contacts[0].pk, world_a.contacts[3].pk]
        enroll(tenant=tenant, contact_ids=contacts)
        enrollments = {e.contact_id: e for e in Enrollment.objects.filter(path=path)}
        with CaptureQueriesContext(connection) as queries:
            done = learning_events.catch_up(tenant=tenant, contact_ids=contacts)
        assert done == [enrollments[world_a.contacts[0].pk].pk]
        # Waiting, seen days, insert, status refresh, and the offer of unlocked paths (a few queries whatever
        # the number of contacts: test_completion_is_set_based).
        assert len(queries) <= 20
        progress = StepProgress.objects.get()
        enrolled_at = enrollments[world_a.contacts[0].pk].enrolled_at
        # Done for this enrollment when it began (no negative time to complete); the evidence keeps the event.
        assert progress.done_at == enrolled_at
        assert dt.datetime.fromisoformat(progress.evidence["occurred_at"]) == sent
        assert learning_events.catch_up(tenant=tenant, contact_ids=contacts) == []
        assert learning_events.catch_up(tenant=tenant) == []  # the sweep: nothing left to do either
        assert StepProgress.objects.count() == 1
        assert Enrollment.objects.get(pk=progress.enrollment_id).status == EnrollmentStatus.COMPLETED


def test_the_sweep_completes_what_the_merge_hook_missed(world_a, monkeypatch, django_capture_on_commit_callbacks):
    with world_a.scope():
        path = task_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(learning_events, "complete_from_buckets", broken)
    ingest_and_merge(world_a, [event("e1", template="blank", public=True)], django_capture_on_commit_callbacks)
    monkeypatch.undo()
    with world_a.scope():
        assert not StepProgress.objects.exists()  # the merge went through, the completion was logged
        from health.usage.services.rollups import pending_batches

        assert pending_batches(tenant=world_a.tenant) == 0
        assert learning_events.catch_up(tenant=world_a.tenant)
        assert StepProgress.objects.get().step == the_step(path)


def test_a_tenant_without_product_tasks_pays_only_a_cached_check(world_a, django_capture_on_commit_callbacks):
    with world_a.scope():
        published_path(world_a.tenant, "Lessons only")
        enroll(tenant=world_a.tenant, contact_ids=[c.pk for c in world_a.contacts])
    ingest_and_merge(world_a, [event("e1", template="blank", public=True)], django_capture_on_commit_callbacks)
    with world_a.scope():
        ingest_events(tenant=world_a.tenant, items=[event("e2", template="blank", public=True)])
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True) as hooks:
            merge_pending_usage(tenant=world_a.tenant)
        assert not [q for q in queries if "learning_" in q["sql"]]  # the names were cached by the first merge
        assert not hooks
        assert not StepProgress.objects.exists()


def test_only_the_enrollments_version_counts_and_withdrawn_enrollments_take_nothing(
        world_a, django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    with world_a.scope():
        task_path(tenant, "Pipelines")
        lessons = published_path(tenant, "Lessons")
        enroll(tenant=tenant, contact_ids=[world_a.contacts[0].pk])
        Enrollment.objects.filter(path=lessons).update(status=EnrollmentStatus.WITHDRAWN)
        Enrollment.objects.exclude(path=lessons).update(status=EnrollmentStatus.WITHDRAWN)
    ingest_and_merge(world_a, [event("e1", template="blank", public=True)], django_capture_on_commit_callbacks)
    with world_a.scope():
        assert not StepProgress.objects.exists()


def test_completing_a_task_offers_the_paths_it_unlocks(world_a, django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    with world_a.scope():
        first = task_path(tenant, "Pipelines")
        advanced = published_path(tenant, "Advanced pipelines", prerequisites=[first])
        enroll(tenant=tenant, contact_ids=[world_a.contacts[0].pk])
        assert not Enrollment.objects.filter(path=advanced).exists()
    ingest_and_merge(world_a, [event("e1", template="blank", public=True)], django_capture_on_commit_callbacks)
    with world_a.scope():
        assert Enrollment.objects.get(path=first).status == EnrollmentStatus.COMPLETED
        assert Enrollment.objects.get(path=advanced, contact=world_a.contacts[0]).status == EnrollmentStatus.ENROLLED


def test_another_tenants_events_complete_nothing(worlds, django_capture_on_commit_callbacks):
    world_a, world_b = worlds
    with world_a.scope():
        task_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
    # The same external ids in the other tenant (look-alike data).
    ingest_and_merge(world_b, [event("e1", template="blank", public=True)], django_capture_on_commit_callbacks)
    with world_a.scope():
        assert learning_events.catch_up(tenant=world_a.tenant) == []
        assert not StepProgress.objects.exists()


def test_completion_is_set_based(world_a, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    tenant = world_a.tenant
    with world_a.scope():
        task_path(tenant)
        enroll(tenant=tenant, contact_ids=[c.pk for c in world_a.contacts])
        ingest_events(tenant=tenant, items=[
            event(f"e{i}", contact=c.external_id, account=c.account.external_id, template="blank", public=True)
            for i, c in enumerate(world_a.contacts)])
        day = timezone.localdate()
        buckets = learning_events.Buckets.of_days(
            [(c.pk, "pipeline.created", day - dt.timedelta(days=1), day + dt.timedelta(days=1))
             for c in world_a.contacts], tenant)
        # The insert, the status refresh, and the offer of the paths completion unlocks (learning.services.enroll,
        # a handful of queries): the same for 4 contacts as for 4,000.
        with django_assert_max_num_queries(16):
            assert len(learning_events.complete_from_buckets(tenant=tenant, buckets=buckets)) == 4
        assert StepProgress.objects.count() == 4


def test_an_enrollment_in_a_path_with_a_product_task_enqueues_its_catch_up(
        world_a, monkeypatch, django_capture_on_commit_callbacks):
    from learning import tasks

    sent = []
    monkeypatch.setattr(tasks.catch_up_product_tasks, "delay", lambda *args: sent.append(args))
    with world_a.scope():
        published_path(world_a.tenant, "Lessons only")
        with django_capture_on_commit_callbacks(execute=True):
            enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
        assert sent == []  # no product task: no task enqueued
        task_path(world_a.tenant)
        with django_capture_on_commit_callbacks(execute=True):
            enroll(tenant=world_a.tenant, contact_ids=[c.pk for c in world_a.contacts])
        assert sent == [(world_a.tenant.pk, sorted(c.pk for c in world_a.contacts))]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_merges_the_batch_and_completes_the_task(world_a):
    """The whole chain off the request path: a committed batch, the merge task taken from the broker by a real
    worker, its after-commit completion, the enrollment completed (tests/test_celery_worker.py's worker)."""
    from health.usage.tasks import merge_usage_rollups
    from tests.test_celery_worker import real_worker, wait_for

    with world_a.scope():
        path = task_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
        ingest_events(tenant=world_a.tenant, items=[event("e1", template="blank", public=True, at=timezone.now())])

    def completed() -> bool:
        with world_a.scope():
            return Enrollment.objects.filter(path=path, status=EnrollmentStatus.COMPLETED).exists()

    with real_worker() as (worker, queue, read_log):
        merge_usage_rollups.apply_async(args=[world_a.tenant.pk], queue=queue)
        wait_for(worker, completed)
        assert completed(), read_log()
    with world_a.scope():
        assert StepProgress.objects.get().evidence["event_id"] == "e1"


def test_the_catch_up_finds_an_event_on_the_tenants_local_day_not_the_utc_one(
        world_a, django_capture_on_commit_callbacks):
    """02:30 UTC is the evening before in Los Angeles (the world's tenant zone): the rollups file it under that
    local day, and the look-up must read that local day's instants."""
    two_days_ago = (timezone.now() - dt.timedelta(days=2)).astimezone(dt.UTC)
    sent = two_days_ago.replace(hour=2, minute=30, second=0, microsecond=0)
    ingest_and_merge(world_a, [event("evening", template="blank", public=True, at=sent)],
                     django_capture_on_commit_callbacks)
    with world_a.scope():
        task_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])
        assert len(learning_events.catch_up(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk])) == 1
        assert StepProgress.objects.get().evidence["event_id"] == "evening"
