"""Reads of CSM tasks: the task list with its filters, an account's tasks, a CSM's open tasks for the home,
and what the closed loop needs (which sources have a task, and when each was done)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet

from accounts.models import CustomerAccount, Tenant
from accounts.worklist.models import CsmTask, CsmTaskChange, CsmTaskComment

ACCOUNT_TASKS_LIMIT = 10
MY_TASKS_LIMIT = 10
RELATED = ("account", "contact", "assignee", "done_by")

DEFINITIONS = {
    "open": "Tasks not marked done and not snoozed (a snoozed task is open again from its snooze day on).",
    "snoozed": "Tasks not done whose snooze day (in the tenant's time zone) is after today: hidden from the "
               "open lists until that day.",
    "overdue": "Open tasks whose due day (in the tenant's time zone) is before today.",
    "my_tasks": "Open tasks assigned to you: overdue first, then due today, then later (the earliest due first).",
    "open_tasks": "The account's open tasks: not done and not snoozed.",
}


class Status:
    OPEN = "open"
    SNOOZED = "snoozed"
    DONE = "done"
    ALL = "all"
    CHOICES = ((OPEN, "Open"), (SNOOZED, "Snoozed"), (DONE, "Done"), (ALL, "All"))
    VALUES = frozenset(value for value, _label in CHOICES)


def open_q(today: dt.date) -> Q:
    """Not done, and not snoozed past ``today`` (a task snoozed until today is back today)."""
    return Q(done_at__isnull=True) & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))


def snoozed_q(today: dt.date) -> Q:
    return Q(done_at__isnull=True, snoozed_until__gt=today)


def with_status(tasks: QuerySet, *, status: str, today: dt.date) -> QuerySet:
    """``tasks`` of one status (Status), unordered."""
    if status == Status.OPEN:
        return tasks.filter(open_q(today))
    if status == Status.SNOOZED:
        return tasks.filter(snoozed_q(today))
    if status == Status.DONE:
        return tasks.filter(done_at__isnull=False)
    return tasks


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
    tasks = with_status(tasks, status=status, today=today)
    if status in (Status.OPEN, Status.SNOOZED):
        return tasks.order_by("due_on", "id")  # overdue first, then due today, then later
    if status == Status.DONE:
        return tasks.order_by("-done_at", "-id")
    return tasks.order_by("done_at", "due_on", "id")  # PostgreSQL sorts nulls (the open ones) last ascending


@dataclass(frozen=True)
class TaskSummary:
    open: int
    overdue: int
    tasks: list[CsmTask]  # the first few open ones
    snoozed: int = 0


def _summary(tasks: QuerySet, *, today: dt.date, limit: int) -> TaskSummary:
    """Two queries: the counts, and the earliest due open tasks (snoozed ones are counted apart)."""
    counts = tasks.aggregate(open=Count("pk", filter=open_q(today)),
                             overdue=Count("pk", filter=open_q(today) & Q(due_on__lt=today)),
                             snoozed=Count("pk", filter=snoozed_q(today)))
    first = list(tasks.filter(open_q(today)).select_related(*RELATED).order_by("due_on", "id")[:limit])
    return TaskSummary(open=counts["open"], overdue=counts["overdue"], tasks=first, snoozed=counts["snoozed"])


def my_open_tasks(*, tenant: Tenant, user: AbstractBaseUser, today: dt.date,
                  limit: int = MY_TASKS_LIMIT) -> TaskSummary:
    return _summary(CsmTask.objects.filter(tenant=tenant, assignee=user), today=today, limit=limit)


def account_tasks(*, tenant: Tenant, account: CustomerAccount, today: dt.date,
                  limit: int = ACCOUNT_TASKS_LIMIT) -> TaskSummary:
    return _summary(CsmTask.objects.filter(tenant=tenant, account=account), today=today, limit=limit)


def task_history(*, tenant: Tenant, task: CsmTask) -> QuerySet:
    return CsmTaskChange.objects.filter(tenant=tenant, task=task).select_related("by").order_by("at", "id")


def task_comments(*, tenant: Tenant, task: CsmTask) -> QuerySet:
    return CsmTaskComment.objects.filter(tenant=tenant, task=task).select_related("by").order_by("at", "id")


def open_tasks_by_account(*, tenant: Tenant, account_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """The account column "Open tasks": open, not snoozed tasks per account (one grouped query). ``today`` is
    the tenant's local day of ``now``."""
    today = now.astimezone(tenant.zone).date()
    rows = (CsmTask.objects.filter(open_q(today), tenant=tenant, account_id__in=account_ids).order_by()
            .values("account_id").annotate(n=Count("pk")).values_list("account_id", "n"))
    return dict(rows)


def api_task_rows(*, tenant: Tenant) -> QuerySet:
    """The API's task list (its filters and cursor order are applied on top), with what a row names."""
    return CsmTask.objects.filter(tenant=tenant).select_related("account", "assignee")


def task_for_api(*, tenant: Tenant, pk: int) -> CsmTask:
    """A task with what the API answers (after a change: the service's copy lacks the related rows)."""
    return CsmTask.objects.select_related("account", "assignee").get(tenant=tenant, pk=pk)


def sources_with_tasks(*, tenant: Tenant, source_kind: str, source_ids: Iterable[int]) -> set[int]:
    return set(CsmTask.objects.filter(tenant=tenant, source_kind=source_kind, source_id__in=list(source_ids))
               .values_list("source_id", flat=True))


def sourced_tasks(*, tenant: Tenant, source_kind: str) -> QuerySet:
    """The tasks opened by ``source_kind``: a queryset for other apps to refine into a subquery (the closed
    loop reads each response's task and its completion this way, in the same SQL)."""
    return CsmTask.objects.filter(tenant=tenant, source_kind=source_kind)
