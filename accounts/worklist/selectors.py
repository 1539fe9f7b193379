"""Reads of CSM tasks: the task list with its filters, an account's tasks, a CSM's open tasks for the home,
and what the closed loop needs (which sources have a task, and when each was done)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from accounts.models import CustomerAccount, Tenant
from accounts.worklist.models import CsmTask, CsmTaskChange

ACCOUNT_TASKS_LIMIT = 10
MY_TASKS_LIMIT = 10
RELATED = ("account", "contact", "assignee", "done_by")

DEFINITIONS = {
    "open": "Tasks not marked done.",
    "overdue": "Open tasks whose due day (in the tenant's time zone) is before today.",
    "my_tasks": "Open tasks assigned to you, the earliest due first.",
}


class Status:
    OPEN = "open"
    DONE = "done"
    ALL = "all"
    CHOICES = ((OPEN, "Open"), (DONE, "Done"), (ALL, "All"))


def task_list(*, tenant: Tenant, today: dt.date, assignee: AbstractBaseUser | None = None,
              status: str = Status.OPEN, overdue: bool = False, account: CustomerAccount | None = None) -> QuerySet:
    """Tasks with what their row shows in the same query: open ones earliest due first, done ones latest
    done first. ``overdue`` keeps open tasks due before ``today``."""
    tasks = CsmTask.objects.filter(tenant=tenant).select_related(*RELATED)
    if assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    if account is not None:
        tasks = tasks.filter(account=account)
    if overdue:
        status = Status.OPEN
        tasks = tasks.filter(due_on__lt=today)
    if status == Status.OPEN:
        return tasks.filter(done_at__isnull=True).order_by("due_on", "id")
    if status == Status.DONE:
        return tasks.filter(done_at__isnull=False).order_by("-done_at", "-id")
    return tasks.order_by("done_at", "due_on", "id")  # PostgreSQL sorts nulls (the open ones) last ascending


@dataclass(frozen=True)
class TaskSummary:
    open: int
    overdue: int
    tasks: list[CsmTask]  # the first few open ones


def _summary(tasks: QuerySet, *, today: dt.date, limit: int) -> TaskSummary:
    """Two queries: the counts, and the earliest due open tasks."""
    counts = tasks.aggregate(open=Count("pk", filter=Q(done_at__isnull=True)),
                             overdue=Count("pk", filter=Q(done_at__isnull=True, due_on__lt=today)))
    first = list(tasks.filter(done_at__isnull=True).select_related(*RELATED).order_by("due_on", "id")[:limit])
    return TaskSummary(open=counts["open"], overdue=counts["overdue"], tasks=first)


def my_open_tasks(*, tenant: Tenant, user: AbstractBaseUser, today: dt.date,
                  limit: int = MY_TASKS_LIMIT) -> TaskSummary:
    return _summary(CsmTask.objects.filter(tenant=tenant, assignee=user), today=today, limit=limit)


def account_tasks(*, tenant: Tenant, account: CustomerAccount, today: dt.date,
                  limit: int = ACCOUNT_TASKS_LIMIT) -> TaskSummary:
    return _summary(CsmTask.objects.filter(tenant=tenant, account=account), today=today, limit=limit)


def task_history(*, tenant: Tenant, task: CsmTask) -> QuerySet:
    return CsmTaskChange.objects.filter(tenant=tenant, task=task).select_related("by").order_by("at", "id")


def sources_with_tasks(*, tenant: Tenant, source_kind: str, source_ids: Iterable[int]) -> set[int]:
    return set(CsmTask.objects.filter(tenant=tenant, source_kind=source_kind, source_id__in=list(source_ids))
               .values_list("source_id", flat=True))


def sourced_tasks(*, tenant: Tenant, source_kind: str) -> QuerySet:
    """The tasks opened by ``source_kind``: a queryset for other apps to refine into a subquery (the closed
    loop reads each response's task and its completion this way, in the same SQL)."""
    return CsmTask.objects.filter(tenant=tenant, source_kind=source_kind)
