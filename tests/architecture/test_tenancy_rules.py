"""DESIGN.md's tenancy rules, checked over the whole code base rather than trusted to review."""

from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from accounts.tenancy import TenantOwnedModel, TenantScopedManager
from cs_platform.api.base import TenantAPIView
from cs_platform.celery import app as celery_app
from tests.urlwalk import api_routes, tenant_page_routes

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"accounts", "support", "surveys", "learning", "health"}
# Models of our apps that are not owned by a tenant, with the reason.
NOT_TENANT_OWNED = {
    "accounts.Tenant": "the tenant itself",
}
# Files allowed to use the unscoped bypass, with the reason (DESIGN.md: greppable and rare).
UNSCOPED_ALLOWED = {
    "learning/links.py": "a magic link is found by its token's hash alone (it names its tenant), then spent",
    "accounts/tenancy.py": "defines it",
    "accounts/middleware.py": "the membership is looked up before the tenant scope exists",
    "accounts/selectors.py": "user_memberships: the tenant chooser and switcher list the user's own memberships; "
                             "active_api_key: an API key is looked up before its tenant is known",
    "accounts/services/tenants.py": "touch_api_key: an API key's last use is stamped before its tenant's scope "
                                    "exists (API authentication)",
    "accounts/admin.py": "the admin filters by the staff user's admin memberships itself",
    "surveys/public/access.py": "get_invitation_for_token: a survey link's invitation is found by its token's "
                                "hash before its tenant is known",
    "learning/portal/sessions.py": "current_learner: a learner session is found by its cookie token's hash "
                                   "before its tenant is known",
    "learning/portal/access.py": "certificate_by_code: a certificate is found by its public code before its "
                                 "tenant is known",
    "health/scores/dirty.py": "tenants_with_marks: the every-minute beat, outside any tenant, asks which tenants "
                              "have accounts marked for a recompute (tenant ids only)",
}


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def tenant_owned_models() -> list[type[models.Model]]:
    return [m for m in project_models() if m._meta.label not in NOT_TENANT_OWNED]


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_tenant_owned_models_use_the_base_and_the_scoped_manager(model):
    assert issubclass(model, TenantOwnedModel)
    tenant = model._meta.get_field("tenant")
    assert not tenant.null and tenant.related_model._meta.label == "accounts.Tenant"
    assert isinstance(model._default_manager, TenantScopedManager)
    assert model._default_manager.name == "objects"


def _first_field(constraint_or_index) -> str | None:
    if getattr(constraint_or_index, "fields", None):
        return constraint_or_index.fields[0]
    expressions = getattr(constraint_or_index, "expressions", ())
    if expressions:
        first = expressions[0]
        name = getattr(first, "name", None) or getattr(getattr(first, "expression", None), "name", None)
        return name
    return None


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_unique_constraints_and_composite_indexes_start_with_tenant(model):
    opts = model._meta
    for field in opts.local_fields:
        if field.unique and not field.primary_key:
            pytest.fail(f"{opts.label}.{field.name} is unique across tenants; use a constraint on (tenant, ...)")
    for together in opts.unique_together:
        assert together[0] in ("tenant", "tenant_id"), f"{opts.label} unique_together {together}"
    for constraint in opts.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert _first_field(constraint) in ("tenant", "tenant_id"), f"{opts.label}: {constraint.name}"
    for index in opts.indexes:
        columns = list(index.fields) or list(index.expressions)
        if len(columns) > 1:
            assert _first_field(index) in ("tenant", "tenant_id"), f"{opts.label}: {index.name}"


def test_every_project_model_is_classified():
    for model in project_models():
        label = model._meta.label
        assert issubclass(model, TenantOwnedModel) or label in NOT_TENANT_OWNED, label


@pytest.mark.parametrize("route", api_routes(), ids=lambda r: r.route)
def test_every_api_view_derives_from_the_tenant_base(route):
    view_class = route.view_class
    assert view_class is not None and issubclass(view_class, TenantAPIView), route.route
    # The base enters the scope in initial(); a subclass that replaces it would skip that.
    assert "initial" not in vars(view_class) or view_class is TenantAPIView, route.route


@pytest.mark.parametrize("route", tenant_page_routes(), ids=lambda r: r.route)
def test_every_tenant_page_checks_a_permission(route):
    view = route.view_class or route.callback
    assert getattr(view, "required_permission", None), f"{route.route}: decorate with accounts.permissions.requires"


def test_celery_tasks_take_a_tenant_and_enter_its_scope():
    celery_app.loader.import_default_modules()
    ours = {name: task for name, task in celery_app.tasks.items() if name.split(".")[0] in PROJECT_APPS}
    assert ours, "no project task discovered"
    for name, task in ours.items():
        params = list(inspect.signature(task.run).parameters)
        if params and params[0] == "tenant_id":
            assert getattr(task.run, "enters_tenant_scope", False), f"{name}: wrap with accounts.tenancy.tenant_task"
        else:
            # Cross-tenant fan-out tasks take no object ids: they only enqueue per-tenant tasks.
            assert not params, f"{name}: a task taking ids must take tenant_id first (DESIGN.md rule 5)"


def _product_python_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.split() if not f.startswith(("tests/", "bench/")) and "/migrations/" not in f]


def test_unscoped_bypass_is_rare_and_justified():
    users = {f for f in _product_python_files() if ".unscoped()" in (ROOT / f).read_text()}
    new = users - set(UNSCOPED_ALLOWED)
    assert not new, f"new unscoped() use; justify it in UNSCOPED_ALLOWED: {new}"


# Views fetching objects only through the access helpers (no get_object_or_404, no manager access at all)
# is checked on the syntax tree by tests/architecture/test_layers.py.


def test_no_business_logic_in_signals():
    pattern = re.compile(r"@receiver\(|post_save\.connect|pre_save\.connect")
    assert not [f for f in _product_python_files() if pattern.search((ROOT / f).read_text())]
