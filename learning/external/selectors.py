"""Reads of the learning API: the rows a serialized path or enrollment needs, fetched in a fixed number of
queries whatever the page size (prefetches, tested)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from accounts.models import Contact, Tenant
from learning.models import Enrollment, LearningPath, Prerequisite, Step, StepProgress, TargetingRule


def api_path_rows(*, tenant: Tenant) -> QuerySet[LearningPath]:
    """Every path, published or not, with its current version's steps (``current_version.step_list``), its
    targeting rule (``rule_list``) and the paths it requires (``prerequisite_list``): four queries a page.
    Plain lists (``to_attr``), so the serializer runs no query of its own."""
    return (LearningPath.objects.filter(tenant=tenant)
            .select_related("current_version")
            .prefetch_related(
                Prefetch("current_version__steps", queryset=Step.objects.filter(tenant=tenant).order_by("position"),
                         to_attr="step_list"),
                Prefetch("targeting_rules", queryset=TargetingRule.objects.filter(tenant=tenant), to_attr="rule_list"),
                Prefetch("prerequisites", queryset=Prerequisite.objects.filter(tenant=tenant).select_related("requires")
                         .order_by("requires__slug"), to_attr="prerequisite_list")))


def api_enrollment_rows(*, tenant: Tenant, contact: Contact) -> QuerySet[Enrollment]:
    """The contact's enrollments with their path, version, the version's steps (``version.step_list``) and the
    progress (``progress_list``): three queries a page."""
    return (Enrollment.objects.filter(tenant=tenant, contact=contact)
            .select_related("path", "version")
            .prefetch_related(
                Prefetch("version__steps", queryset=Step.objects.filter(tenant=tenant).order_by("position"),
                         to_attr="step_list"),
                Prefetch("progress", queryset=StepProgress.objects.filter(tenant=tenant), to_attr="progress_list")))


def paths_by_reference(*, tenant: Tenant, references: Iterable[str]) -> dict[str, LearningPath]:
    """Paths named by slug or id (digits: a slug first, then an id), as ``reference -> path``; one query."""
    wanted = set(references)
    ids = [int(r) for r in wanted if r.isdigit() and len(r) < 19]
    found: dict[str, LearningPath] = {}
    rows = list(LearningPath.objects.filter(tenant=tenant, slug__in=wanted) | LearningPath.objects.filter(
        tenant=tenant, pk__in=ids))
    by_slug = {p.slug: p for p in rows}
    by_id = {str(p.pk): p for p in rows}
    for reference in wanted:
        path = by_slug.get(reference) or by_id.get(reference)
        if path is not None:
            found[reference] = path
    return found


def steps_by_id(*, tenant: Tenant, ids: Iterable[str]) -> dict[str, Step]:
    """Steps named by id, with their version's path; one query."""
    numbers = [int(i) for i in set(ids) if i.isdigit() and len(i) < 19]
    return {str(s.pk): s for s in Step.objects.filter(tenant=tenant, pk__in=numbers).select_related("version")}
