"""Which published paths cover a ticket's knowledge-base articles: a path covers an article when its current
version has an ``article`` step on it (a draft's or an older version's steps do not count: they are not what
a learner enrolled today would follow)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import F

from learning.models import Enrollment, Step, StepKind

if TYPE_CHECKING:
    from accounts.models import Tenant


@dataclass
class Coverage:
    path_id: int
    name: str
    slug: str
    action: str  # learning.models.SupportAction
    article_ids: list[int] = field(default_factory=list)
    enrollment_status: str = ""  # the ticket contact's, when asked for (ticket_coverage)


def covering_paths(*, tenant: Tenant, article_ids: Iterable[int]) -> list[Coverage]:
    """The published paths covering any of these articles, in the learner's order (required first, then
    priority): one query."""
    article_ids = sorted(set(article_ids))
    if not article_ids:
        return []
    rows = (Step.objects.filter(tenant=tenant, kind=StepKind.ARTICLE, article_id__in=article_ids,
                                version__path__is_published=True,
                                version_id=F("version__path__current_version_id"))
            .order_by("-version__path__is_required", "version__path__priority", "version__path_id", "article_id")
            .values_list("version__path_id", "version__path__name", "version__path__slug",
                         "version__path__support_action", "article_id"))
    paths: dict[int, Coverage] = {}
    for path_id, name, slug, action, article_id in rows:
        cover = paths.setdefault(path_id, Coverage(path_id, name, slug, action))
        if article_id not in cover.article_ids:
            cover.article_ids.append(article_id)
    return list(paths.values())


def ticket_coverage(*, tenant: Tenant, contact_id: int | None, article_ids: Iterable[int]) -> list[Coverage]:
    """:func:`covering_paths` with the contact's enrollment status in each (two queries)."""
    covers = covering_paths(tenant=tenant, article_ids=article_ids)
    if covers and contact_id is not None:
        statuses = dict(Enrollment.objects.filter(tenant=tenant, contact_id=contact_id,
                                                  path_id__in=[c.path_id for c in covers])
                        .values_list("path_id", "status"))
        for cover in covers:
            cover.enrollment_status = statuses.get(cover.path_id, "")
    return covers
