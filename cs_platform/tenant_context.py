"""The tenant scope's context variables (accounts.tenancy is their interface; this module holds no models,
so that the database backend, cs_platform/db/base.py, can import it while Django loads the models)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Tenant

active_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar("active_tenant", default=None)
_all_tenants_reason: contextvars.ContextVar[str | None] = contextvars.ContextVar("all_tenants", default=None)

_held_row_tenant_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("held_row_tenant", default=None)

NO_SCOPE = ("", "")  # database_scope() outside any scope: no tenant, no bypass


@contextmanager
def all_tenants(reason: str) -> Iterator[None]:
    """Let the database show every tenant's rows for the block (row-level security's one bypass).

    The ORM managers still scope as before (their ORM bypass is still needed to read across tenants);
    this only stops PostgreSQL from hiding the other tenants' rows. ``reason`` says why, for the reader
    and for the allow-list in tests/architecture/test_tenancy_rules.py."""
    if not reason.strip():
        raise ValueError("all_tenants() needs a reason")
    token = _all_tenants_reason.set(reason)
    try:
        yield
    finally:
        _all_tenants_reason.reset(token)


def database_scope() -> tuple[str, str]:
    """``(app.tenant_id, app.all_tenants)`` for the statement about to run: what the database backend
    sets for its transaction (``cs_platform/db/base.py``)."""
    tenant = active_tenant.get()
    tenant_id = tenant.pk if tenant is not None else _held_row_tenant_id.get()
    return (str(tenant_id) if tenant_id is not None else "", "on" if _all_tenants_reason.get() else "")


@contextmanager
def rows_of_held_tenant(tenant_id: int) -> Iterator[None]:
    """The database shows this tenant's rows for the block, the ORM scope unchanged: Django's own look-ups
    from a row already held, outside any scope (accounts.tenancy.HeldRowQuerySet)."""
    token = _held_row_tenant_id.set(tenant_id)
    try:
        yield
    finally:
        _held_row_tenant_id.reset(token)
