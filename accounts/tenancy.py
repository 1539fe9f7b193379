"""The tenant scope: which tenant the current request, command or task works for.

DESIGN.md "Tenancy" rules 1, 2 and 5 live here. Every tenant-owned model inherits
:class:`TenantOwnedModel`; its default manager filters by the active tenant and *raises* when no
tenant is active, so a forgotten scope fails closed instead of leaking rows. The ORM-level bypass is
``Model.objects.unscoped()``: grep for it, keep it rare, and say why at each use.

Rule 8 repeats the scope in PostgreSQL: the database backend (``cs_platform.db``) sets
``app.tenant_id`` from :func:`database_scope` for every transaction, and row-level security shows a
statement only that tenant's rows. Code that must cross tenants outside any scope (API-key and
membership look-ups, the Django admin, the operators' pages, tenant deletion, maintenance) says so with
:func:`all_tenants`, the one database-level bypass; tests/architecture allow-lists where it is used.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import models

# The context variables live in a module free of models, which the database backend imports too.
from cs_platform.tenant_context import (  # noqa: F401
    NO_SCOPE,
    active_tenant,
    all_tenants,
    database_scope,
    rows_of_held_tenant,
)

if TYPE_CHECKING:
    from accounts.models import Tenant


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried with no tenant in scope."""


def current_tenant() -> Tenant:
    tenant = active_tenant.get()
    if tenant is None:
        raise TenantScopeError("no tenant in scope: enter tenant_scope(tenant) first")
    return tenant


def current_tenant_or_none() -> Tenant | None:
    return active_tenant.get()


def activate(tenant: Tenant) -> contextvars.Token:
    """Enter a scope that the caller closes with :func:`deactivate` (middleware and API base)."""
    return active_tenant.set(tenant)


def deactivate(token: contextvars.Token) -> None:
    active_tenant.reset(token)


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[Tenant]:
    token = activate(tenant)
    try:
        yield tenant
    finally:
        deactivate(token)


class TenantQuerySet(models.QuerySet):
    pass


class TenantScopedManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant-owned model: scoped to the active tenant, or it raises."""

    def get_queryset(self) -> TenantQuerySet:
        tenant = current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)

    def unscoped(self) -> TenantQuerySet:
        """All tenants' rows. The one bypass; use only where no tenant can be known yet (API-key and
        membership lookup, the admin's own filtering, cross-tenant maintenance)."""
        return super().get_queryset()

    def create(self, **kwargs: Any) -> Any:
        if "tenant" not in kwargs and "tenant_id" not in kwargs:
            kwargs["tenant"] = current_tenant()
        return super().create(**kwargs)


class HeldRowQuerySet(models.QuerySet):
    """The base manager's querysets: Django's own look-ups from a row already held (a foreign key
    followed, ``refresh_from_db()``, a deferred field loaded) run, when no scope is active, with the
    database showing that row's own tenant (rule 8): the row's tenant was checked when it was fetched,
    and what it refers to lives in the same tenant. Inside a scope they run in the scope, as any query."""

    def _fetch_all(self) -> None:
        if self._result_cache is None and active_tenant.get() is None:
            tenant_id = getattr(self._hints.get("instance"), "tenant_id", None)
            if tenant_id is not None:
                with rows_of_held_tenant(tenant_id):
                    return super()._fetch_all()
        return super()._fetch_all()


class HeldRowManager(models.Manager.from_queryset(HeldRowQuerySet)):
    pass


class TenantOwnedModel(models.Model):
    """Abstract base of every tenant-owned model (non-null ``tenant``; constraints start with it)."""

    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantScopedManager()
    held_rows = HeldRowManager()

    class Meta:
        # Django's internal lookups (FK descriptors, deletion) use the base manager on purpose: they
        # start from a row already held, whose tenant was checked when it was fetched. Subclasses inherit
        # it as their base manager (Options.base_manager looks up the first parent's).
        abstract = True
        base_manager_name = "held_rows"

    def save(self, *args: Any, **kwargs: Any) -> None:
        scoped = current_tenant_or_none()
        if self.tenant_id is None and scoped is not None:
            self.tenant = scoped
        elif scoped is not None and self.tenant_id != scoped.pk:
            raise TenantScopeError(f"{type(self).__name__} of tenant {self.tenant_id} saved in scope {scoped.pk}")
        super().save(*args, **kwargs)


def tenant_task(func: Callable) -> Callable:
    """Celery helper (rule 5): a task taking ``(tenant_id, ...)`` runs inside that tenant's scope."""

    @functools.wraps(func)
    def wrapper(tenant_id: int, *args: Any, **kwargs: Any) -> Any:
        from accounts.models import Tenant

        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            return func(tenant_id, *args, **kwargs)

    wrapper.enters_tenant_scope = True  # checked by tests/architecture
    return wrapper


def fan_out_per_tenant(task: Any) -> int:
    """Enqueue ``task(tenant_id)`` once per tenant: the body of every cross-tenant beat task, so that
    each tenant's work runs in its own scope (rule 5). Answers how many were enqueued."""
    from accounts.models import Tenant

    tenant_ids = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenant_ids:
        task.delay(tenant_id)
    return len(tenant_ids)
