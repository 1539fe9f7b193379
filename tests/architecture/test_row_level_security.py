"""DESIGN.md tenancy rule 8, read off the database catalogue: no tenant-owned relation without row-level
security, an application role that cannot get around it, and the one bypass used only where allowed.

A table added by a later migration without ``ProtectTenantTables()`` fails here, whatever its model says.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from accounts.tenancy import TenantOwnedModel
from cs_platform.db.rls import BYPASS_POLICY, POLICY
from tests.architecture.test_tenancy_rules import ROOT, _product_python_files, tenant_owned_models

# Files allowed to use accounts.tenancy.all_tenants(), the database-level bypass, with the reason.
ALL_TENANTS_ALLOWED = {
    "learning/links.py": "the learner portal's magic link: its token names its tenant, found by the token's hash "
                         "before any scope",
    "cs_platform/tenant_context.py": "defines it",
    "accounts/selectors.py": "user_memberships (the tenant chooser) and active_api_key (the key names its tenant)",
    "accounts/services/tenants.py": "touch_api_key: the key's own row, before its tenant's scope exists; "
                                    "delete_tenants: the cascade collects the deleted tenants' rows",
    "accounts/middleware.py": "the Django admin, whose querysets filter by the user's tenants by hand",
    "surveys/public/access.py": "get_invitation_for_token: the public survey link's token names its tenant, "
                                "so the invitation is found before any scope (like an API key)",
    "learning/portal/sessions.py": "current_learner: the learner cookie's token names its session and tenant",
    "learning/portal/access.py": "certificate_by_code: the public certificate page's code names its tenant",
    "health/scores/dirty.py": "tenants_with_marks: the dirty-flag beat fans out only to tenants with marks "
                              "(reads tenant ids, before any tenant's scope)",
}

pytestmark = pytest.mark.django_db


def _fetch(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _relations_with_tenant_column() -> dict[str, str]:
    return dict(_fetch(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"))


def test_every_tenant_owned_model_has_a_tenant_column_in_the_catalogue():
    relations = _relations_with_tenant_column()
    tables = {m._meta.db_table for m in tenant_owned_models()}
    assert all(issubclass(m, TenantOwnedModel) for m in tenant_owned_models())
    assert tables <= set(relations), f"tables of tenant-owned models missing: {tables - set(relations)}"


def test_every_tenant_owned_table_enables_and_forces_row_level_security_with_both_policies():
    relations = _relations_with_tenant_column()
    tables = sorted(name for name, kind in relations.items() if kind in ("r", "p"))
    flags = dict((name, (enabled, forced)) for name, enabled, forced in _fetch(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(%s)", [tables]))
    policies: dict[str, dict[str, tuple]] = {}
    for table, name, permissive, command, qual, check in _fetch(
            "SELECT tablename, policyname, permissive, cmd, qual, with_check FROM pg_policies "
            "WHERE schemaname = current_schema()"):
        policies.setdefault(table, {})[name] = (permissive, command, qual, check)
    problems = []
    for table in tables:
        if flags[table] != (True, True):
            problems.append(f"{table}: row-level security enabled/forced = {flags[table]}")
        mine = policies.get(table, {})
        isolation, bypass = mine.get(POLICY), mine.get(BYPASS_POLICY)
        if not isolation or isolation[:2] != ("PERMISSIVE", "ALL") or "app.tenant_id" not in (isolation[2] or "") \
                or "app.tenant_id" not in (isolation[3] or "") or "tenant_id =" not in isolation[2]:
            problems.append(f"{table}: policy {POLICY} missing or not tenant_id = app.tenant_id for all commands")
        if not bypass or "app.all_tenants" not in (bypass[2] or ""):
            problems.append(f"{table}: policy {BYPASS_POLICY} missing")
        if set(mine) - {POLICY, BYPASS_POLICY}:
            problems.append(f"{table}: unexpected policies {set(mine) - {POLICY, BYPASS_POLICY}}")
    assert not problems, "\n".join(problems)
    assert any(t.startswith("health_usage_event_p") for t in tables)  # the partitions are among them


def test_views_over_tenant_rows_run_as_their_reader():
    relations = _relations_with_tenant_column()
    views = sorted(name for name, kind in relations.items() if kind == "v")
    assert "health_usage_rollups" in views
    options = dict(_fetch("SELECT relname, coalesce(reloptions, '{}') FROM pg_class WHERE relname = ANY(%s)",
                          [views]))
    assert all("security_invoker=true" in options[v] for v in views), options
    assert not [name for name, kind in relations.items() if kind in ("m", "f")], "materialized/foreign: no RLS"


def test_the_application_role_owns_nothing_and_cannot_bypass_row_level_security():
    [(user, session_user, superuser, bypass)] = _fetch(
        "SELECT current_user, session_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    assert user == session_user, "the app connects as its role; it does not SET ROLE into it"
    assert not superuser and not bypass
    owned = _fetch(
        "SELECT 'relation ' || relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND n.nspname NOT LIKE 'pg_temp%%' "
        "AND n.nspname NOT LIKE 'pg_toast_temp%%' "
        "UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user) "
        "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user) AND nspname NOT LIKE 'pg_temp%%' "
        "AND nspname NOT LIKE 'pg_toast_temp%%' "
        "UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datname = current_database() AND datdba = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)")
    assert not owned, f"the app role owns {owned}"
    assert connection.owner_user and connection.owner_user != user  # migrations ran as another role


def test_the_database_bypass_is_used_only_where_allowed():
    call = re.compile(r"(?<![\w.`])all_tenants\(")  # a call or the definition, not a mention in a docstring
    users = {f for f in _product_python_files() if call.search((ROOT / f).read_text())}
    assert users == set(ALL_TENANTS_ALLOWED), (
        f"new all_tenants() use; justify it in ALL_TENANTS_ALLOWED: {users - set(ALL_TENANTS_ALLOWED)}; "
        f"stale entries: {set(ALL_TENANTS_ALLOWED) - users}")
