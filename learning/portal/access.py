"""The portal's access helpers (DESIGN.md tenancy rule 4): an enrollment or step is always fetched through
the signed-in learner's contact, so another learner's id, or another tenant's, is the same 404 as none.
The certificate's public page is the one lookup across tenants, by its random code only."""

from __future__ import annotations

from django.http import Http404

from accounts.tenancy import all_tenants
from learning.models import Enrollment, EnrollmentStatus, Step
from learning.portal.sessions import Learner
from surveys.tokens import looks_like_token

# The shape of Enrollment.certificate_code (122 random bits as 22 URL-safe characters, learning.progress):
# the same as a link token's, so the same check refuses anything else without a query.
looks_like_certificate_code = looks_like_token


def enrollment_for(learner: Learner, enrollment_pk: int) -> Enrollment:
    """The learner's own enrollment (not withdrawn: that path is not theirs any more), with path and version."""
    found = (Enrollment.objects.select_related("path", "version")
             .filter(tenant=learner.tenant, contact=learner.contact, pk=enrollment_pk)
             .exclude(status=EnrollmentStatus.WITHDRAWN).first())
    if found is None:
        raise Http404("No such enrollment")
    return found


def step_for(enrollment: Enrollment, step_key: str) -> Step:
    """A step of the enrollment's own (pinned) version, by its key."""
    found = (Step.objects.select_related("article")
             .filter(tenant_id=enrollment.tenant_id, version_id=enrollment.version_id, key=step_key).first())
    if found is None:
        raise Http404("No such step")
    return found


def certificate_by_code(code: str) -> Enrollment | None:
    """The completed enrollment whose certificate code is ``code``, with tenant, contact, path and version;
    None for an unknown code, and without a query for a string that is not code-shaped."""
    if not looks_like_certificate_code(code):
        return None
    with all_tenants("a certificate's public page: the code names its tenant"):
        return (Enrollment.objects.unscoped().select_related("tenant", "contact", "path", "version")
                .filter(certificate_code=code, status=EnrollmentStatus.COMPLETED).first())
