"""What staff see of one contact's learning: enrollments with each step of the pinned version, its state and
the evidence that completed it ("which event, when"), in a fixed number of queries whatever the paths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from accounts.models import Contact, Tenant
from learning.events import describe
from learning.models import Enrollment, EnrollmentStatus, LearningPath, QuizAttempt, Step, StepKind, StepProgress


@dataclass
class StepRow:
    step: Step
    done_at: Any = None
    evidence: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    waiting_for: str = ""  # a product task not done yet: the event that would complete it


@dataclass
class EnrollmentRow:
    enrollment: Enrollment
    steps: list[StepRow]
    newer_version: int | None  # the path's current version number when the learner is on an older one

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done_at)


def contact_enrollments(*, tenant: Tenant, contact: Contact) -> list[EnrollmentRow]:
    """Four queries: enrollments (with path and versions), their versions' steps, progress, quiz attempts."""
    enrollments = list(Enrollment.objects.filter(tenant=tenant, contact=contact)
                       .select_related("path", "version", "path__current_version")
                       .order_by("-path__is_required", "path__priority", "path__name"))
    if not enrollments:
        return []
    steps: dict[int, list[Step]] = {}
    for step in Step.objects.filter(tenant=tenant, version_id__in={e.version_id for e in enrollments}) \
            .select_related("article").order_by("position"):
        steps.setdefault(step.version_id, []).append(step)
    progress = {(p.enrollment_id, p.step_id): p for p in StepProgress.objects.filter(
        tenant=tenant, enrollment__in=enrollments)}
    attempts = {(r["enrollment_id"], r["step_id"]): r["n"] for r in QuizAttempt.objects.filter(
        tenant=tenant, enrollment__in=enrollments).values("enrollment_id", "step_id").annotate(n=Count("id"))}
    rows = []
    for e in enrollments:
        step_rows = []
        for step in steps.get(e.version_id, []):
            done = progress.get((e.pk, step.pk))
            step_rows.append(StepRow(
                step=step, done_at=done.done_at if done else None, evidence=done.evidence if done else {},
                attempts=attempts.get((e.pk, step.pk), 0),
                waiting_for=describe(step) if step.kind == StepKind.PRODUCT_TASK and not done else ""))
        current = e.path.current_version
        newer = current.number if current and current.pk != e.version_id and current.number else None
        rows.append(EnrollmentRow(enrollment=e, steps=step_rows, newer_version=newer))
    return rows


def enrollable_paths(*, tenant: Tenant, contact: Contact) -> list[LearningPath]:
    """Published paths the contact is not on (a withdrawn enrollment can be taken up again)."""
    active = Enrollment.objects.filter(tenant=tenant, contact=contact).exclude(status=EnrollmentStatus.WITHDRAWN)
    return list(LearningPath.objects.filter(tenant=tenant, is_published=True, current_version__isnull=False)
                .exclude(pk__in=active.values("path_id")).order_by("priority", "name"))
