"""Fetch-and-check helpers of authoring (DESIGN.md tenancy rule 4): another tenant's path, version, step or
image is a 404 exactly like a missing one; a version, step or image of another path of the same tenant too
(the URL names the path, so the path is part of the lookup)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.access import fetch_one
from learning.models import LearningPath, LessonImage, PathVersion, Step

if TYPE_CHECKING:
    from accounts.models import Tenant


def get_path_for_tenant(tenant: Tenant, *, pk: int) -> LearningPath:
    return fetch_one(LearningPath.objects.filter(tenant=tenant).select_related("current_version"), "path", pk=pk)


def get_version_for_tenant(tenant: Tenant, *, path: LearningPath, pk: int) -> PathVersion:
    return fetch_one(PathVersion.objects.filter(tenant=tenant, path=path), "version", pk=pk)


def get_draft_step_for_tenant(tenant: Tenant, *, path: LearningPath, pk: int) -> Step:
    """A step of the path's draft (published versions never change, so their steps are not editable)."""
    return fetch_one(Step.objects.filter(tenant=tenant, version__path=path, version__number__isnull=True)
                     .select_related("article"), "step", pk=pk)


def get_image_for_tenant(tenant: Tenant, *, path: LearningPath, pk: int) -> LessonImage:
    return fetch_one(LessonImage.objects.filter(tenant=tenant, path=path).defer("data"), "image", pk=pk)
