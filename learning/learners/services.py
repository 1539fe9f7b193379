"""Staff decisions about one learner (DESIGN.md: keyword-only, typed, atomic): enroll by hand, withdraw.

A decision by hand is marked ``source = manual`` on the enrollment, and targeting's re-evaluation leaves such
enrollments alone (learning.services.reevaluate): a CSM who enrolls an end user in the admin path, or takes
someone off a path, is not overruled by the next persona sync.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, Tenant
from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, LearningPath
from learning.paths.services import LearningError


@transaction.atomic
def enroll_by_hand(*, tenant: Tenant, contact: Contact, path: LearningPath) -> Enrollment:
    """Enroll ``contact`` in the current version of the published ``path``; a withdrawn enrollment comes back
    (the same row, on the current version); an active one is an error."""
    if path.tenant_id != tenant.pk or contact.tenant_id != tenant.pk:
        raise LearningError("no such path", "path")
    if not path.is_published or path.current_version_id is None:
        raise LearningError("only a published path takes learners", "path")
    now = timezone.now()
    existing = Enrollment.objects.select_for_update().filter(tenant=tenant, contact=contact, path=path).first()
    if existing is None:
        return Enrollment.objects.create(tenant=tenant, contact=contact, path=path, version_id=path.current_version_id,
                                         enrolled_at=now, source=EnrollmentSource.MANUAL)
    if existing.status != EnrollmentStatus.WITHDRAWN:
        raise LearningError(f"already on this path ({existing.get_status_display().lower()})", "path")
    existing.status, existing.withdrawn_at, existing.enrolled_at = EnrollmentStatus.ENROLLED, None, now
    existing.version_id, existing.source = path.current_version_id, EnrollmentSource.MANUAL
    existing.save(update_fields=["status", "withdrawn_at", "enrolled_at", "version", "source"])
    return existing


@transaction.atomic
def withdraw_by_hand(*, tenant: Tenant, enrollment: Enrollment) -> Enrollment:
    """Take the learner off the path (their progress is kept, for history); a completed path stays completed."""
    enrollment = Enrollment.objects.select_for_update().get(tenant=tenant, pk=enrollment.pk)
    if enrollment.status == EnrollmentStatus.COMPLETED:
        raise LearningError("a completed path cannot be withdrawn", "enrollment")
    if enrollment.status == EnrollmentStatus.WITHDRAWN:
        return enrollment
    enrollment.status, enrollment.withdrawn_at = EnrollmentStatus.WITHDRAWN, timezone.now()
    enrollment.source = EnrollmentSource.MANUAL
    enrollment.save(update_fields=["status", "withdrawn_at", "source"])
    return enrollment
