"""Writes of tenancy (DESIGN.md: keyword-only, typed, atomic): tenants and their settings, staff
members and roles, API keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, CustomerAccount, Membership, Role, Tenant
from accounts.services.customers import CSM_ROLES
from accounts.tenancy import all_tenants


def create_staff_member(*, tenant: Tenant, email: str, role: str, password: str | None = None,
                        name: str = "") -> Membership:
    """A staff user (found by email, or created) joins the tenant with ``role``."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        first, _, last = name.partition(" ")
        if user is None:
            user = User.objects.create_user(username=email.lower(), email=email.lower(), password=password,
                                            first_name=first, last_name=last)
        elif name and not (user.first_name or user.last_name):
            # A user created without a name (a tenant's first admin) takes the one given now; a name the
            # user has is theirs and stays.
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        membership, created = Membership.objects.get_or_create(tenant=tenant, user=user,
                                                               defaults={"role": role})
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    return membership


def create_tenant(*, slug: str, name: str, admin_email: str, timezone_name: str = "UTC",
                  admin_password: str | None = None, fiscal_year_start_month: int = 1) -> Tenant:
    """A tenant and its first admin. The admin has no usable password unless one is given: they set
    it through the password-reset mail."""
    from accounts.tenancy import tenant_scope

    with transaction.atomic():
        tenant = Tenant(slug=slug, name=name, timezone=timezone_name,
                        fiscal_year_start_month=fiscal_year_start_month)
        tenant.full_clean()
        tenant.save()
        with tenant_scope(tenant):
            create_staff_member(tenant=tenant, email=admin_email, role=Role.ADMIN, password=admin_password)
    return tenant


def delete_tenants(*, slugs: Sequence[str] = (), pks: Sequence[int] = ()) -> int:
    """Delete tenants with everything they own; answers the number of rows deleted. Django's cascade finds
    each tenant-owned row from outside any scope, so it runs under the row-level security bypass; its
    look-ups are by these tenants only."""
    from django.db.models import Q

    with all_tenants("tenant deletion: the cascade collects every row these tenants own"), transaction.atomic():
        deleted, _ = Tenant.objects.filter(Q(slug__in=list(slugs)) | Q(pk__in=list(pks))).delete()
    return deleted


def update_tenant_settings(*, tenant: Tenant, name: str, timezone_name: str,
                           fiscal_year_start_month: int) -> Tenant:
    """The settings a tenant admin may edit. The slug is not among them: it is in every URL and bookmark.
    Refused values (``ValidationError``) are not kept on ``tenant`` either: it is reloaded, so the page
    that shows the error still shows the stored name and time zone."""
    try:
        with transaction.atomic():
            tenant.name = name
            tenant.timezone = timezone_name
            tenant.fiscal_year_start_month = fiscal_year_start_month
            tenant.full_clean()
            tenant.save(update_fields=["name", "timezone", "fiscal_year_start_month"])
    except ValidationError:
        tenant.refresh_from_db()
        raise
    return tenant


class MembershipError(ValueError):
    """A membership change that the tenant's rules refuse; the message is meant for the admin."""


def _lock_memberships(tenant: Tenant) -> None:
    # Locking the tenant row serializes membership changes within one tenant: two admins demoting
    # each other at the same moment must not both see "another admin remains".
    list(Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True))


def _locked_membership(tenant: Tenant, membership: Membership) -> Membership:
    current = Membership.objects.select_for_update().filter(tenant=tenant, pk=membership.pk).first()
    if current is None:
        raise MembershipError(f"{membership.user.email or membership.user} is no longer a member of this tenant.")
    return current


def _is_last_admin(tenant: Tenant, membership: Membership) -> bool:
    return membership.role == Role.ADMIN and not (
        Membership.objects.filter(tenant=tenant, role=Role.ADMIN).exclude(pk=membership.pk).exists()
    )


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise MembershipError(f"unknown role {role!r}; choose one of {', '.join(Role.values)}")


def _unassign_accounts(tenant: Tenant, user_id: int) -> int:
    """Accounts are owned only by admin, manager or CSM members of their tenant (see upsert_accounts)."""
    return CustomerAccount.objects.filter(tenant=tenant, owner_csm_id=user_id).update(
        owner_csm=None, updated_at=timezone.now()
    )


def add_member(*, tenant: Tenant, email: str, role: str, name: str = "") -> Membership:
    """A user joins the tenant: an existing user (matched by email) or a new one without a usable
    password. Adding someone who is already a member is refused: their role is changed with
    :func:`change_member_role`, which guards the last admin."""
    _check_role(role)
    email = email.strip()
    with transaction.atomic():
        _lock_memberships(tenant)
        if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
            raise MembershipError(f"{email} is already a member of this tenant; change their role in the table.")
        return create_staff_member(tenant=tenant, email=email, role=role, name=name)


@dataclass(frozen=True)
class MemberChange:
    membership: Membership
    accounts_unassigned: int = 0


def change_member_role(*, tenant: Tenant, membership: Membership, role: str) -> MemberChange:
    """Give a member another role. The last admin of a tenant keeps the role: someone must be able
    to manage the tenant. Moving to a role that cannot own accounts unassigns the accounts they own."""
    _check_role(role)
    with transaction.atomic():
        _lock_memberships(tenant)
        current = _locked_membership(tenant, membership)
        if current.role == role:
            return MemberChange(current)
        if _is_last_admin(tenant, current):
            raise MembershipError(f"{current.user.email or current.user} is the last admin of this tenant; "
                                  "make another member admin first.")
        current.role = role
        current.save(update_fields=["role"])
        unassigned = 0 if role in CSM_ROLES else _unassign_accounts(tenant, current.user_id)
    membership.role = role
    return MemberChange(current, unassigned)


def remove_member(*, tenant: Tenant, membership: Membership) -> MemberChange:
    """The member leaves the tenant (their user stays: it may belong to other tenants). The last
    admin cannot be removed, not even by themself. Accounts they owned become unassigned."""
    with transaction.atomic():
        _lock_memberships(tenant)
        current = _locked_membership(tenant, membership)
        if _is_last_admin(tenant, current):
            raise MembershipError(f"{current.user.email or current.user} is the last admin of this tenant "
                                  "and cannot be removed; make another member admin first.")
        unassigned = _unassign_accounts(tenant, current.user_id)
        current.delete()
    return MemberChange(current, unassigned)


def create_api_key(*, tenant: Tenant, name: str, scopes: Sequence[str]) -> tuple[Any, str]:
    """A new key; the raw key is returned once and only its hash is stored."""
    from accounts.models import ApiKey
    from accounts.models.tenants import ApiScope, hash_api_key, new_raw_api_key

    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {', '.join(ApiScope.values)}; got {unknown}")
    raw = new_raw_api_key()
    key = ApiKey.objects.create(tenant=tenant, name=name, prefix=raw[:12], key_hash=hash_api_key(raw),
                                scopes=sorted(set(scopes)))
    return key, raw


def touch_api_key(*, api_key: ApiKey, now: dt.datetime) -> None:
    """Stamp the key's last use (API authentication, before its tenant's scope exists, hence unscoped).
    One UPDATE, atomic by itself: a transaction block around it would only add queries to every API request."""
    with all_tenants("API authentication: the key's own row, before its tenant's scope"):
        ApiKey.objects.unscoped().filter(pk=api_key.pk).update(last_used_at=now)


def revoke_api_key(*, key: Any) -> Any:
    """Revoke a key (idempotent: a second revoke keeps the first time). The row stays, for the audit trail."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
