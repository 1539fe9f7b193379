"""Writes of CSM tasks (keyword-only, typed, atomic): create one by hand, open tasks for sources (the
closed loop's follow-ups; idempotent), complete and reopen. Each state change writes a
:class:`CsmTaskChange` with who and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Contact, CustomerAccount, Tenant
from accounts.worklist.models import DETAIL_MAX, TITLE_MAX, CsmTask, CsmTaskChange, TaskAction


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
