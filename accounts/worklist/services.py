"""Writes of CSM tasks (keyword-only, typed, atomic): create one by hand, open tasks for sources (the
closed loop's follow-ups; idempotent), complete and reopen, snooze, comment, reassign and move the due day.
Each state change writes a :class:`CsmTaskChange` with who and when (``by`` None = the platform or the API,
which has no user)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, Membership, Tenant
from accounts.selectors import tenant_today
from accounts.services.customers import CSM_ROLES
from accounts.worklist.models import (
    COMMENT_MAX,
    DETAIL_MAX,
    TITLE_MAX,
    CsmTask,
    CsmTaskChange,
    CsmTaskComment,
    TaskAction,
)
from cs_platform import bounds

SNOOZE_MAX_DAYS = 365


class TaskError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def create_task(*, tenant: Tenant, account: CustomerAccount, title: str, due_on: dt.date,
                by: AbstractBaseUser | None, assignee: AbstractBaseUser | None = None,
                contact: Contact | None = None, detail: str = "") -> CsmTask:
    title = " ".join(title.split())
    if not title:
        raise TaskError("title", "a task needs a title")
    if contact is not None and contact.account_id != account.pk:
        raise TaskError("contact", "the contact is not of this account")
    task = CsmTask.objects.create(
        tenant=tenant, account=account, contact=contact, title=_shorten(title, TITLE_MAX),
        detail=_shorten(detail, DETAIL_MAX), assignee=assignee, due_on=due_on, created_by=by)
    CsmTaskChange.objects.create(tenant=tenant, task=task, action=TaskAction.CREATED, at=task.created_at, by=by)
    return task


@dataclass(frozen=True)
class SourcedTask:
    """A task a platform event asks for (no person behind it)."""

    source_id: int
    account_id: int
    contact_id: int | None
    assignee_id: int | None
    title: str
    detail: str
    due_on: dt.date


@transaction.atomic
def open_tasks_for_sources(*, tenant: Tenant, source_kind: str, tasks: Sequence[SourcedTask]) -> list[int]:
    """Create the tasks whose source has none yet; answers the source ids that got one now.

    Idempotent under concurrency: the insert skips a source that already has a task (the unique constraint
    on (tenant, source_kind, source_id), ON CONFLICT DO NOTHING), so the response hook and the sweep may
    both run for the same response."""
    if not tasks:
        return []
    rows = [CsmTask(tenant=tenant, source_kind=source_kind, source_id=t.source_id, account_id=t.account_id,
                    contact_id=t.contact_id, assignee_id=t.assignee_id, title=_shorten(t.title, TITLE_MAX),
                    detail=_shorten(t.detail, DETAIL_MAX), due_on=t.due_on) for t in tasks]
    # ignore_conflicts leaves the pks unset: read back which sources are ours by the creation moment.
    started = timezone.now()
    CsmTask.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(CsmTask.objects.filter(tenant=tenant, source_kind=source_kind,
                                          source_id__in=[t.source_id for t in tasks], created_at__gte=started,
                                          changes__isnull=True).values_list("pk", "source_id", "created_at"))
    CsmTaskChange.objects.bulk_create([CsmTaskChange(tenant=tenant, task_id=pk, action=TaskAction.CREATED, at=at)
                                       for pk, _source, at in created])
    return [source for _pk, source, _at in created]


def _locked(tenant: Tenant, task: CsmTask) -> CsmTask:
    return CsmTask.objects.select_for_update().get(tenant=tenant, pk=task.pk)


@transaction.atomic
def complete_task(*, tenant: Tenant, task: CsmTask, by: AbstractBaseUser | None,
                  now: dt.datetime | None = None) -> CsmTask:
    """Mark done (a task already done keeps its first completion: a double click changes nothing)."""
    task = _locked(tenant, task)
    if task.done_at is None:
        task.done_at, task.done_by = now or timezone.now(), by
        task.save(update_fields=["done_at", "done_by", "updated_at"])
        CsmTaskChange.objects.create(tenant=tenant, task=task, action=TaskAction.COMPLETED, at=task.done_at, by=by)
    return task


@transaction.atomic
def reopen_task(*, tenant: Tenant, task: CsmTask, by: AbstractBaseUser | None,
                now: dt.datetime | None = None) -> CsmTask:
    task = _locked(tenant, task)
    if task.done_at is not None:
        task.done_at, task.done_by = None, None
        task.save(update_fields=["done_at", "done_by", "updated_at"])
        CsmTaskChange.objects.create(tenant=tenant, task=task, action=TaskAction.REOPENED, at=now or timezone.now(),
                                     by=by)
    return task


def _audit(tenant: Tenant, task: CsmTask, action: str, *, by: AbstractBaseUser | None, at: dt.datetime,
           note: str = "") -> None:
    CsmTaskChange.objects.create(tenant=tenant, task=task, action=action, at=at, by=by, note=note)


def person(user: AbstractBaseUser | None) -> str:
    """How a user is named in a task's history."""
    if user is None:
        return "nobody"
    return user.get_full_name() or user.email or user.username


@transaction.atomic
def snooze_task(*, tenant: Tenant, task: CsmTask, until: dt.date, by: AbstractBaseUser | None,
                today: dt.date | None = None, now: dt.datetime | None = None) -> CsmTask:
    """Hide an open task from the open lists until the local day ``until`` (a future day, at most
    ``SNOOZE_MAX_DAYS`` ahead); snoozing again moves the day. A done task cannot be snoozed."""
    today = today or tenant_today(tenant)
    if until <= today:
        raise TaskError("until", "a day after today")
    if until > today + dt.timedelta(days=SNOOZE_MAX_DAYS):
        raise TaskError("until", f"at most {SNOOZE_MAX_DAYS} days ahead")
    task = _locked(tenant, task)
    if task.done_at is not None:
        raise TaskError("until", "a done task cannot be snoozed; reopen it first")
    task.snoozed_until = until
    task.save(update_fields=["snoozed_until", "updated_at"])
    _audit(tenant, task, TaskAction.SNOOZED, by=by, at=now or timezone.now(), note=f"until {until.isoformat()}")
    return task


@transaction.atomic
def add_comment(*, tenant: Tenant, task: CsmTask, body: str, by: AbstractBaseUser | None,
                now: dt.datetime | None = None) -> CsmTaskComment:
    body = (body or "").strip()
    if not body:
        raise TaskError("comment", "a comment needs some text")
    if len(body) > COMMENT_MAX:
        raise TaskError("comment", f"at most {COMMENT_MAX} characters")
    task = _locked(tenant, task)
    at = now or timezone.now()
    comment = CsmTaskComment.objects.create(tenant=tenant, task=task, body=body, at=at, by=by)
    task.save(update_fields=["updated_at"])  # an API sync by updated_since sees the new comment
    _audit(tenant, task, TaskAction.COMMENTED, by=by, at=at)
    return comment


@transaction.atomic
def reassign_task(*, tenant: Tenant, task: CsmTask, assignee: AbstractBaseUser | None,
                  by: AbstractBaseUser | None, now: dt.datetime | None = None) -> CsmTask:
    """Give the task to another CSM, manager or admin of this tenant (None = nobody)."""
    if assignee is not None and not Membership.objects.filter(tenant=tenant, user=assignee,
                                                              role__in=CSM_ROLES).exists():
        raise TaskError("assignee", "an admin, manager or CSM of this tenant")
    task = _locked(tenant, task)
    if task.assignee_id != (assignee.pk if assignee else None):
        before = person(task.assignee)
        task.assignee = assignee
        task.save(update_fields=["assignee", "updated_at"])
        _audit(tenant, task, TaskAction.ASSIGNED, by=by, at=now or timezone.now(),
               note=f"from {before} to {person(assignee)}"[:300])
    return task


@transaction.atomic
def change_due_day(*, tenant: Tenant, task: CsmTask, due_on: dt.date, by: AbstractBaseUser | None,
                   now: dt.datetime | None = None) -> CsmTask:
    if error := bounds.date_error(due_on):
        raise TaskError("due_on", error)
    task = _locked(tenant, task)
    if task.due_on != due_on:
        before = task.due_on
        task.due_on = due_on
        task.save(update_fields=["due_on", "updated_at"])
        _audit(tenant, task, TaskAction.DUE_CHANGED, by=by, at=now or timezone.now(),
               note=f"from {before.isoformat()} to {due_on.isoformat()}")
    return task
