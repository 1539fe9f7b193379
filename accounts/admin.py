"""Django admin for operators: superusers see every tenant; other staff see only the tenants where they
are an admin member (the role that grants ``tenant.manage``, accounts/permissions.py).

The scoped managers raise outside a tenant scope, and the admin works across tenants, so every
queryset here starts from ``.objects.unscoped()`` and is filtered by hand to the user's tenants: the
lists, the change pages (a row of another tenant answers "doesn't exist"), the inlines, the FK choices
and the autocomplete. Form validation (unique constraints) and saving run inside the row's own tenant
scope, and a row's tenant is fixed once it exists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from accounts.models import ApiKey, Contact, CustomerAccount, Job, Membership, Tenant
from accounts.permissions import PERMISSIONS
from accounts.services.contacts import delete_contact, save_contact
from accounts.services.customers import CSM_ROLES, save_account
from accounts.tenancy import TenantOwnedModel, tenant_scope

ADMIN_ROLES = PERMISSIONS["tenant.manage"]


def admin_tenant_ids(request: HttpRequest) -> set[int] | None:
    """The tenants this user may administer here; ``None`` means all of them (superuser)."""
    user = request.user
    if user.is_superuser:
        return None
    if not hasattr(request, "_admin_tenant_ids"):
        ids: set[int] = set()
        if user.is_active and user.is_staff:
            ids = set(
                Membership.objects.unscoped().filter(user=user, role__in=ADMIN_ROLES).values_list("tenant_id",
                                                                                                  flat=True)
            )
        request._admin_tenant_ids = ids
    return request._admin_tenant_ids


def _limit_to_tenants(queryset: models.QuerySet, allowed: set[int] | None, field: str = "tenant_id"):
    return queryset if allowed is None else queryset.filter(**{f"{field}__in": allowed})


def _rows_of(model: type[models.Model], allowed: set[int] | None) -> models.QuerySet:
    if model is Tenant:
        return _limit_to_tenants(Tenant.objects.all(), allowed, "pk")
    if issubclass(model, TenantOwnedModel):
        return _limit_to_tenants(model.objects.unscoped().all(), allowed)
    if model is get_user_model():
        # Only people of the user's own tenants: the user table is shared by every tenant.
        users = get_user_model().objects.all()
        return users if allowed is None else users.filter(memberships__tenant_id__in=allowed).distinct()
    return model._default_manager.all()


class TenantScopedForm(forms.ModelForm):
    """Validates a tenant-owned row inside its tenant's scope and keeps its references in that tenant."""

    # FK fields to users who must be staff of the row's tenant in one of these roles.
    member_user_fields: dict[str, tuple[str, ...]] = {}

    def _row_tenant(self) -> Tenant | None:
        if getattr(self.instance, "tenant_id", None) is not None:
            return self.instance.tenant
        tenant = self.cleaned_data.get("tenant")
        return tenant if isinstance(tenant, Tenant) else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        tenant = self._row_tenant()
        if tenant is None:
            return cleaned
        for name, value in cleaned.items():
            if isinstance(value, TenantOwnedModel) and value.tenant_id != tenant.pk:
                self.add_error(name, f"belongs to another tenant than {tenant}")
        for name, roles in self.member_user_fields.items():
            user = cleaned.get(name)
            if user is not None and not Membership.objects.unscoped().filter(
                tenant_id=tenant.pk, user=user, role__in=roles
            ).exists():
                self.add_error(name, f"is not a {'/'.join(roles)} member of {tenant}")
        return cleaned

    def _post_clean(self) -> None:
        # Model validation checks unique constraints through the scoped manager: run it in the row's
        # tenant. Without a valid tenant the form already carries that error and there is nothing to check.
        tenant = self._row_tenant()
        if tenant is None:
            if "tenant" not in self._errors:
                self.add_error(None, "choose a tenant")
            return
        with tenant_scope(tenant):
            super()._post_clean()


class TenantFilter(admin.SimpleListFilter):
    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        tenants = _rows_of(Tenant, admin_tenant_ids(request)).order_by("name")
        return [(str(t.pk), t.name) for t in tenants]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value():
            return queryset.filter(tenant_id=self.value())
        return queryset


class _TenantLimitedChoices:
    """FK choices limited to the user's tenants (the default widgets would query the scoped managers)."""

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        if "queryset" not in kwargs:
            kwargs["queryset"] = _rows_of(db_field.related_model, admin_tenant_ids(request))
        # ForeignKey.formfield() builds a default queryset from the scoped manager before it applies ours,
        # so it needs some scope: an unsaved Tenant() matches no rows, and the default is discarded anyway.
        with tenant_scope(Tenant()):
            return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantScopedAdmin(_TenantLimitedChoices, admin.ModelAdmin):
    """Base of every admin of a tenant-owned model."""

    form = TenantScopedForm
    list_filter: tuple = (TenantFilter,)
    list_select_related = ("tenant",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        qs = _rows_of(self.model, admin_tenant_ids(request)).select_related("tenant")
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        fields = tuple(super().get_readonly_fields(request, obj))
        # Moving a row to another tenant would strand every row that points at it: never allowed.
        return fields if obj is None or "tenant" in fields else ("tenant", *fields)

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = admin_tenant_ids(request)
        if allowed is None:
            return True
        return bool(allowed) and (obj is None or obj.tenant_id in allowed)

    def has_module_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._allowed(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        with tenant_scope(obj.tenant):
            super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with tenant_scope(obj.tenant):
            super().delete_model(request, obj)


class TenantInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        # The hidden id field's choices come from the scoped manager: the parent row's tenant. A parent
        # not saved yet has no children, and an unsaved Tenant() as scope matches no rows.
        parent = self.instance
        tenant = parent if isinstance(parent, Tenant) else (parent.tenant if parent.tenant_id else Tenant())
        with tenant_scope(tenant):
            super().add_fields(form, index)


class TenantScopedInline(_TenantLimitedChoices, admin.TabularInline):
    form = TenantScopedForm
    formset = TenantInlineFormSet
    extra = 0

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        # The formset narrows this to the parent row, which the user's own admin already fetched.
        qs = _rows_of(self.model, admin_tenant_ids(request))
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(admin_tenant_ids(request))

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    has_delete_permission = has_view_permission


class MembershipInline(TenantScopedInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Tenant)
class TenantAdmin(_TenantLimitedChoices, admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "fiscal_year_start_month", "created_at")
    search_fields = ("name", "slug")
    ordering = ("name",)
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return _rows_of(Tenant, admin_tenant_ids(request)).order_by("name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        # The slug is in every URL and API client of the tenant; only a superuser may rename it.
        return () if request.user.is_superuser else ("slug",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(admin_tenant_ids(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if request.user.is_superuser:
            return True
        allowed = admin_tenant_ids(request)
        return bool(allowed) and (obj is None or obj.pk in allowed)

    has_change_permission = has_view_permission

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = (TenantFilter, "role")
    search_fields = ("user__email", "user__username")
    list_select_related = ("tenant", "user")
    ordering = ("tenant__name", "user__email")


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    """Keys are created where their raw value can be shown once (the API keys page, create_api_key);
    here they can be renamed and revoked. Only the hash is stored, and it is read-only."""

    list_display = ("name", "prefix", "tenant", "scopes", "created_at", "last_used_at", "revoked_at")
    fields = ("tenant", "name", "prefix", "key_hash", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("tenant", "prefix", "key_hash", "scopes", "created_at", "last_used_at")
    search_fields = ("name", "prefix")
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class CustomerAccountForm(TenantScopedForm):
    member_user_fields = {"owner_csm": tuple(CSM_ROLES)}


class ContactInline(TenantScopedInline):
    model = Contact
    fields = ("name", "email", "persona", "knowledge_level", "external_id")
    readonly_fields = fields
    show_change_link = True
    ordering = ("name",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # contacts are added on their own page, where their tenant is chosen

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CustomerAccount)
class CustomerAccountAdmin(TenantScopedAdmin):
    form = CustomerAccountForm
    list_display = ("name", "external_id", "tenant", "plan", "tier", "arr", "seats", "renewal_date",
                    "lifecycle_stage", "owner_csm")
    list_filter = (TenantFilter, "lifecycle_stage", "tier")
    list_select_related = ("tenant", "owner_csm")
    search_fields = ("name", "external_id", "domain")
    ordering = ("name",)
    inlines = (ContactInline,)

    # Through the service, as every writer: a change of stage, tier or plan re-targets the account's contacts.
    def save_model(self, request: HttpRequest, obj: CustomerAccount, form: forms.ModelForm, change: bool) -> None:
        with tenant_scope(obj.tenant):
            save_account(tenant=obj.tenant, account=obj)


@admin.register(Contact)
class ContactAdmin(TenantScopedAdmin):
    list_display = ("__str__", "email", "account", "tenant", "persona", "knowledge_level")
    list_filter = (TenantFilter, "knowledge_level")
    list_select_related = ("tenant", "account")
    search_fields = ("name", "email", "external_id", "account__name")
    autocomplete_fields = ("account",)
    ordering = ("name",)

    # Contacts are written by accounts.services.contacts only (a new one goes to continuous onboarding).
    def save_model(self, request: HttpRequest, obj: Contact, form: forms.ModelForm, change: bool) -> None:
        with tenant_scope(obj.tenant):
            save_contact(tenant=obj.tenant, contact=obj)

    def delete_model(self, request: HttpRequest, obj: Contact) -> None:
        with tenant_scope(obj.tenant):
            delete_contact(tenant=obj.tenant, contact=obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        # One by one: the action's confirmation page already lists every contact it deletes.
        for contact in queryset.select_related("tenant"):
            self.delete_model(request, contact)


@admin.register(Job)
class JobAdmin(TenantScopedAdmin):
    list_display = ("id", "kind", "tenant", "state", "done", "total", "created_by", "created_at", "updated_at")
    list_filter = (TenantFilter, "state", "kind")
    list_select_related = ("tenant", "created_by")
    fields = ("tenant", "kind", "state", "total", "done", "payload_size", "result", "created_by", "created_at",
              "updated_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(description="payload (characters)")
    def payload_size(self, obj: Job) -> int:
        return len(obj.input_text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
