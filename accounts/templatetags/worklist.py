"""Template helpers of the task pages: where a task came from (accounts.worklist.sources), without a query."""

from __future__ import annotations

from django import template

from accounts.worklist.sources import TaskSource, task_source

register = template.Library()


@register.filter
def source_of(task, tenant_slug: str) -> TaskSource:
    return task_source(tenant_slug, task)
