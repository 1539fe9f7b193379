"""Support to learning: what a ticket answered with knowledge-base articles does for its contact, per covering
path's ``support_action`` (learning.models.SupportAction):

- ``enroll``: the ticket's contact is enrolled in the path (source ``support``), after the support write
  commits, in one set-based insert; an existing enrollment is left as it is (started, completed or
  enrolled), except a withdrawn one, which comes back on the path's current version (the customer asked
  about its topic). Prerequisites are not checked: the ticket is the reason. The invitation email follows
  from the learning emails' next run (``invited_at`` is null).
- ``recommend``: a line with the path's name and the portal's sign-in link is added to the reply. Not a
  magic link: the reply is stored in the ticket's conversation, read by every agent and by the channel's
  integration, and kept for good; a magic link there would let any of them sign in as the learner. The
  sign-in page sends the learner their own link.
- ``none``: nothing.

Called by ``support.knowledge.services.send_suggestions`` where the articles are sent to the customer, inside
that write's transaction. It must never fail that write: its reads run in a savepoint, any error is logged
and answered as "no line", and the enrollment is an on-commit callback registered ``robust``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.tenancy import tenant_scope
from learning.links import sign_in_path
from learning.models import Enrollment, EnrollmentSource, EnrollmentStatus, LearningPath, SupportAction
from learning.tickets.selectors import covering_paths
from surveys import tokens

if TYPE_CHECKING:
    from accounts.models import Tenant

log = logging.getLogger(__name__)


def recommendation_line(*, tenant: Tenant, name: str) -> str:
    return f"Learn more in our training “{name}”: {tokens.absolute(sign_in_path(tenant.slug))}"


def enroll_from_ticket(*, tenant: Tenant, contact_id: int, path_ids: Sequence[int]) -> int:
    """Enroll the contact in these published paths (source ``support``; module doc): answers how many
    enrollments were made or brought back. Rerunning changes nothing."""
    with transaction.atomic():
        versions = dict(LearningPath.objects.filter(tenant=tenant, pk__in=list(path_ids), is_published=True,
                                                    current_version__isnull=False)
                        .values_list("pk", "current_version_id"))
        if not versions:
            return 0
        now = timezone.now()
        existing = Enrollment.objects.filter(tenant=tenant, contact_id=contact_id, path_id__in=list(versions))
        back = 0
        for pk, path_id in existing.filter(status=EnrollmentStatus.WITHDRAWN).values_list("pk", "path_id"):
            back += Enrollment.objects.filter(tenant=tenant, pk=pk, status=EnrollmentStatus.WITHDRAWN).update(
                status=EnrollmentStatus.ENROLLED, withdrawn_at=None, enrolled_at=now, version_id=versions[path_id],
                source=EnrollmentSource.SUPPORT, invited_at=None)
        known = set(existing.values_list("path_id", flat=True))
        new = [Enrollment(tenant=tenant, contact_id=contact_id, path_id=p, version_id=v, enrolled_at=now,
                          source=EnrollmentSource.SUPPORT) for p, v in sorted(versions.items()) if p not in known]
        made = Enrollment.objects.bulk_create(new, ignore_conflicts=True)
        return back + len(made)


def articles_sent(*, tenant: Tenant, contact_id: int | None, article_ids: Sequence[int]) -> list[str]:
    """The articles are being sent to the ticket's contact (module doc): answers the reply's extra lines
    (``recommend`` paths) and enrolls the contact in the ``enroll`` paths once the caller's write commits."""
    if contact_id is None or not article_ids:
        return []
    try:
        with transaction.atomic():  # a savepoint: an error here leaves the caller's transaction usable
            covers = covering_paths(tenant=tenant, article_ids=article_ids)
            enroll_ids = [c.path_id for c in covers if c.action == SupportAction.ENROLL]
            if enroll_ids:
                transaction.on_commit(lambda: _enroll_on_commit(tenant, contact_id, enroll_ids), robust=True)
            return [recommendation_line(tenant=tenant, name=c.name) for c in covers
                    if c.action == SupportAction.RECOMMEND]
    except Exception:
        log.exception("learning: paths covering the articles sent on a ticket of tenant %s failed", tenant.pk)
        return []


def _enroll_on_commit(tenant: Tenant, contact_id: int, path_ids: list[int]) -> None:
    with tenant_scope(tenant):
        enroll_from_ticket(tenant=tenant, contact_id=contact_id, path_ids=path_ids)
