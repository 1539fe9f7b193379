"""Learners' progress on the account's and the contact's timeline (accounts.timeline.registry): enrolled in a
path, completed a step, completed a path. Three sources, not one, because each event kind has its own
timestamp column (``enrolled_at``, ``done_at``, ``completed_at``) and a source is one keyset query over one
column: a timeline page still costs one bounded query per source. Registered from LearningConfig.ready().

Titles name the path and the step as the learner saw them; on the account's timeline the context names the
learner too. Links go to the path's report (the CSM's view of the path)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.timeline.registry import EventKind, TimelineEvent, TimelineQuery, TimelineSource, keyset
from learning.models import Enrollment, EnrollmentSource, StepProgress

ENROLLED = EventKind("learning.enrolled", "Enrolled in a learning path")
STEP_DONE = EventKind("learning.step_done", "Learning step completed")
PATH_COMPLETED = EventKind("learning.path_completed", "Learning path completed")
SOURCE_LABELS = {EnrollmentSource.TARGETING: "by a targeting rule", EnrollmentSource.SUPPORT: "from a support ticket",
                 EnrollmentSource.MANUAL: "by hand", EnrollmentSource.EXTERNAL: "from an external LMS"}


def _subject(query: TimelineQuery, prefix: str = "") -> dict:
    if query.account is not None:
        return {f"{prefix}contact__account": query.account}
    return {f"{prefix}contact": query.contact}


def _event(query: TimelineQuery, *, kind: EventKind, key: int, at, title: str, path_pk: int, path_name: str,
           name: str, email: str, facts: tuple[str, ...] = ()) -> TimelineEvent:
    context = [*facts]
    if query.account is not None:
        context.append(name or email)
    return TimelineEvent(at=at, kind=kind.name, key=key, title=title, detail=path_name,
                         url=reverse("learning-path-report", args=[query.tenant.slug, path_pk]),
                         context=" · ".join(f for f in context if f))


_ENROLLMENT_FIELDS = ("pk", "path_id", "path__name", "contact__name", "contact__email")


def _enrollments(query: TimelineQuery) -> QuerySet:
    return Enrollment.objects.filter(tenant=query.tenant, **_subject(query))


def enrolled_events(query: TimelineQuery) -> list[TimelineEvent]:
    rows = keyset(_enrollments(query), query=query, kinds={ENROLLED.name: Q()}, at="enrolled_at").values_list(
        "enrolled_at", "source", *_ENROLLMENT_FIELDS)
    return [_event(query, kind=ENROLLED, key=pk, at=at, title=f"Enrolled in “{path_name}”", path_pk=path_pk,
                   path_name=path_name, name=name, email=email, facts=(SOURCE_LABELS.get(source, source),))
            for at, source, pk, path_pk, path_name, name, email in rows]


def completed_events(query: TimelineQuery) -> list[TimelineEvent]:
    qs = _enrollments(query).filter(completed_at__isnull=False)
    rows = keyset(qs, query=query, kinds={PATH_COMPLETED.name: Q()}, at="completed_at").values_list(
        "completed_at", *_ENROLLMENT_FIELDS)
    return [_event(query, kind=PATH_COMPLETED, key=pk, at=at, title=f"Completed “{path_name}”", path_pk=path_pk,
                   path_name=path_name, name=name, email=email)
            for at, pk, path_pk, path_name, name, email in rows]


def step_events(query: TimelineQuery) -> list[TimelineEvent]:
    qs = StepProgress.objects.filter(tenant=query.tenant, **_subject(query, "enrollment__"))
    rows = keyset(qs, query=query, kinds={STEP_DONE.name: Q()}, at="done_at").values_list(
        "done_at", "pk", "step__title", "enrollment__path_id", "enrollment__path__name",
        "enrollment__contact__name", "enrollment__contact__email")
    return [_event(query, kind=STEP_DONE, key=pk, at=at, title=f"Completed the step “{title}”", path_pk=path_pk,
                   path_name=path_name, name=name, email=email)
            for at, pk, title, path_pk, path_name, name, email in rows]


SOURCES = (
    TimelineSource(name="learning.enrollments", kinds=(ENROLLED,), account_events=enrolled_events,
                   contact_events=enrolled_events),
    TimelineSource(name="learning.steps", kinds=(STEP_DONE,), account_events=step_events, contact_events=step_events),
    TimelineSource(name="learning.completions", kinds=(PATH_COMPLETED,), account_events=completed_events,
                   contact_events=completed_events),
)
