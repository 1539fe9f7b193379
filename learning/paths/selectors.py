"""Reads of the authoring pages: the path list with its counts, a path's draft and versions with theirs,
what a publish or a migration would touch, the choices of the settings form, lesson images."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from accounts.selectors import targeting_values
from cs_platform.web.images import keyed_row
from learning.models import (
    Enrollment,
    EnrollmentStatus,
    LearningPath,
    LessonImage,
    PathVersion,
    Prerequisite,
    Step,
    TargetingRule,
)
from learning.targeting import RULE_FIELDS
from support.knowledge.selectors import article_list

if TYPE_CHECKING:
    from accounts.models import Tenant

UNFINISHED = (EnrollmentStatus.ENROLLED, EnrollmentStatus.STARTED)
IMAGE_META = ("pk", "tenant_id", "path_id", "content_type", "size", "width", "height", "digest", "key",
              "uploaded_at", "uploaded_by_id")

# The figures of the pages, defined where they are counted (METRICS.md "Learning": enrolled = enrollments).
DEFINITIONS = {
    "enrolled": "enrollments in the path that are not withdrawn, whatever their version or progress",
    "in_progress": "enrollments not yet completed nor withdrawn (enrolled or started)",
    "on_older": "enrollments not yet completed nor withdrawn, pinned to a version older than the one named",
    "learners": "enrollments pinned to this version and not withdrawn (completed included)",
}


def path_list(*, tenant: Tenant) -> QuerySet:
    """Every path with its current version, targeting rule and enrolled count: one query with the count
    grouped in SQL, plus one for the rules (prefetched)."""
    return (LearningPath.objects.filter(tenant=tenant).select_related("current_version")
            .prefetch_related("targeting_rules")
            .annotate(enrolled=Count("enrollments", filter=~Q(enrollments__status=EnrollmentStatus.WITHDRAWN)))
            .order_by("-is_required", "priority", "name", "pk"))


def targeting_summary(path: LearningPath) -> list[tuple[str, list[str]]]:
    """``(field label, values)`` of the constrained lists of the path's (prefetched) rule; empty = everyone."""
    rules = list(path.targeting_rules.all())
    if not rules:
        return []
    return [(name.replace("_", " "), getattr(rules[0], name)) for name in RULE_FIELDS if getattr(rules[0], name)]


def rule_of(*, tenant: Tenant, path: LearningPath) -> TargetingRule | None:
    return TargetingRule.objects.filter(tenant=tenant, path=path).first()


def draft_steps(*, tenant: Tenant, path: LearningPath) -> list[Step]:
    return list(Step.objects.filter(tenant=tenant, version__path=path, version__number__isnull=True)
                .select_related("article").order_by("position"))


def version_steps(*, tenant: Tenant, version: PathVersion) -> list[Step]:
    return list(Step.objects.filter(tenant=tenant, version=version).select_related("article").order_by("position"))


def versions_of(*, tenant: Tenant, path: LearningPath) -> list[PathVersion]:
    """The published versions, newest first, each with ``step_count`` and ``learners`` (see DEFINITIONS)
    and ``in_progress``: one query (distinct counts, the two joins would multiply each other otherwise)."""
    return list(PathVersion.objects.filter(tenant=tenant, path=path, number__isnull=False)
                .select_related("published_by")
                .annotate(step_count=Count("steps", distinct=True),
                          learners=Count("enrollments", distinct=True,
                                         filter=~Q(enrollments__status=EnrollmentStatus.WITHDRAWN)),
                          in_progress=Count("enrollments", distinct=True,
                                            filter=Q(enrollments__status__in=UNFINISHED)))
                .order_by("-number"))


def learner_counts(*, tenant: Tenant, path: LearningPath) -> dict[str, int]:
    """For the publish and migrate confirmations (DEFINITIONS): ``enrolled``, ``in_progress`` and
    ``on_older`` (unfinished, not on the current version: who "Migrate learners" moves). One query."""
    current = path.current_version_id
    return Enrollment.objects.filter(tenant=tenant, path=path).aggregate(
        enrolled=Count("pk", filter=~Q(status=EnrollmentStatus.WITHDRAWN)),
        in_progress=Count("pk", filter=Q(status__in=UNFINISHED)),
        on_older=Count("pk", filter=Q(status__in=UNFINISHED) & ~Q(version_id=current)))


def prerequisite_choices(*, tenant: Tenant, path: LearningPath | None) -> QuerySet:
    qs = LearningPath.objects.filter(tenant=tenant).order_by("name", "pk")
    return qs.exclude(pk=path.pk) if path is not None else qs


def prerequisites_of(*, tenant: Tenant, path: LearningPath) -> list[LearningPath]:
    return [p.requires for p in Prerequisite.objects.filter(tenant=tenant, path=path).select_related("requires")
            .order_by("requires__name")]


def article_choices(*, tenant: Tenant) -> QuerySet:
    """Any article of the tenant's knowledge base (a draft article too: the author may publish both)."""
    return article_list(tenant=tenant).order_by("title", "pk")


def existing_targeting_values(*, tenant: Tenant) -> dict[str, list[str]]:
    """The personas, tiers and plans the tenant's contacts and accounts have (the settings form shows them)."""
    return targeting_values(tenant=tenant)


def images_of(*, tenant: Tenant, path: LearningPath) -> list[LessonImage]:
    return list(LessonImage.objects.filter(tenant=tenant, path=path).only(*IMAGE_META).order_by("-uploaded_at"))


def public_image(*, tenant: Tenant, pk: int, key: str) -> LessonImage | None:
    """The image with its bytes when ``key`` is its key (compared in constant time), else None."""
    return keyed_row(LessonImage.objects.filter(tenant=tenant), pk=pk, key=key)
