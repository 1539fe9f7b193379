"""Writes of CSM notes and logged touches (keyword-only, typed, atomic). The form has checked the
values (kind, lengths, the time window of cs_platform.bounds); who may write is the view's check
(accounts.permissions.may_change_note)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounts.models import CustomerAccount, Tenant
from accounts.timeline.models import AccountNote


@transaction.atomic
def create_note(*, tenant: Tenant, account: CustomerAccount, author: AbstractBaseUser, kind: str, subject: str,
                body: str, happened_at: dt.datetime) -> AccountNote:
    return AccountNote.objects.create(tenant=tenant, account=account, author=author, updated_by=author, kind=kind,
                                      subject=subject, body=body, happened_at=happened_at)


@transaction.atomic
def update_note(*, tenant: Tenant, note: AccountNote, by: AbstractBaseUser, kind: str, subject: str, body: str,
                happened_at: dt.datetime) -> AccountNote:
    note = AccountNote.objects.select_for_update().get(tenant=tenant, pk=note.pk)
    note.kind, note.subject, note.body, note.happened_at, note.updated_by = kind, subject, body, happened_at, by
    note.save()
    return note


@transaction.atomic
def delete_note(*, tenant: Tenant, note: AccountNote) -> None:
    AccountNote.objects.filter(tenant=tenant, pk=note.pk).delete()
