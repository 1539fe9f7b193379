"""The PostgreSQL backend that carries the tenant scope into the database (DESIGN.md tenancy rule 8).

``ENGINE = "cs_platform.db"`` is Django's PostgreSQL backend plus one thing: every statement runs in a
transaction whose settings ``app.tenant_id`` and ``app.all_tenants`` say which tenant's rows it may see
(``accounts.tenancy.database_scope()``: the tenant in scope, or the explicit cross-tenant bypass). The
row-level security policies (``cs_platform.db.rls``) read them; a statement run with neither sees no
tenant-owned row and can write none.

The settings are *transaction-local* (``set_config(..., true)``), never session-wide, so a pooled or
reused connection cannot carry one tenant's setting into the next request or task:

- inside a transaction (an ``atomic`` block, a test), they are set once, before the first statement
  that needs them, and again whenever the scope changes within it or a savepoint rollback may have
  undone them;
- in autocommit mode (most page and API reads), a statement run in a scope gets a transaction of its
  own: ``BEGIN`` and the settings in one round trip, the statement, ``COMMIT``. A statement outside any
  scope runs as Django would run it (so ``CREATE DATABASE``, ``VACUUM`` and the like still can).

Statements sent past Django's cursor (psycopg's ``copy()``) do not pass through here; they run inside
a transaction whose earlier statements set the scope (the ingestion's stage COPY), or on tables with no
tenant rows.

The settings dict may carry ``OWNER`` (``{"USER": ..., "PASSWORD": ...}``): the role that owns the
schema. :meth:`DatabaseWrapper.as_owner` switches the connection to it; migrations
(``accounts/management/commands/migrate.py``) and the test database's creation and destruction use it,
while everything else connects as the application role, which owns nothing and cannot bypass row-level
security.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.postgresql import base as postgresql
from django.db.backends.postgresql.creation import DatabaseCreation as PostgresCreation

from cs_platform.tenant_context import NO_SCOPE, database_scope

_UNKNOWN = ("?", "?")  # after a savepoint rollback: whatever was set since the savepoint is undone


def scope_sql(scope: tuple[str, str]) -> str:
    """The statement that sets a scope for the current transaction. Literals, not parameters, so that it
    can share one round trip with ``BEGIN``: the tenant id is an int and the flag one of two constants."""
    tenant_id, all_tenants = scope
    tenant_literal = f"'{int(tenant_id)}'" if tenant_id else "''"
    flag_literal = "'on'" if all_tenants == "on" else "''"
    return (f"SELECT set_config('app.tenant_id', {tenant_literal}, true), "
            f"set_config('app.all_tenants', {flag_literal}, true)")


class DatabaseCreation(PostgresCreation):
    """The test database is created, migrated and dropped by the owner role, then used as the app role."""

    def create_test_db(self, *args, **kwargs):
        with self.connection.as_owner():
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        with self.connection.as_owner():
            return super().destroy_test_db(*args, **kwargs)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._scope_in_transaction = NO_SCOPE
        self._app_credentials: dict | None = None  # the app role's, while as_owner() has switched
        # First in the list, so outermost: a test's own execute_wrapper sees the statement as sent.
        self.execute_wrappers.insert(0, self._carry_tenant_scope)

    # --- the scope, per transaction ------------------------------------------------------------------

    def _carry_tenant_scope(self, execute, sql, params, many, context):
        wanted = database_scope()
        if not self.get_autocommit():
            if wanted != self._scope_in_transaction:
                with self.wrap_database_errors:
                    self.connection.execute(scope_sql(wanted))
                self._scope_in_transaction = wanted
            return execute(sql, params, many, context)
        if wanted == NO_SCOPE:
            return execute(sql, params, many, context)
        raw = self.connection
        with self.wrap_database_errors:
            raw.execute("BEGIN; " + scope_sql(wanted))
        try:
            result = execute(sql, params, many, context)
        except BaseException:
            self._end_own_transaction("ROLLBACK")
            raise
        with self.wrap_database_errors:
            raw.execute("COMMIT")
        return result

    def _end_own_transaction(self, command: str) -> None:
        try:
            with self.wrap_database_errors:
                self.connection.execute(command)
        except Exception:  # noqa: S110 (a broken connection: the statement's own error is the one to raise)
            pass

    def connect(self) -> None:
        super().connect()
        self._scope_in_transaction = NO_SCOPE

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._scope_in_transaction = NO_SCOPE

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._scope_in_transaction = NO_SCOPE

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._scope_in_transaction = _UNKNOWN

    def _close(self):
        try:
            return super()._close()
        finally:
            self._scope_in_transaction = NO_SCOPE

    # --- the owner role -----------------------------------------------------------------------------

    @property
    def app_user(self) -> str:
        """The application's role, also while the connection is switched to the owner."""
        return (self._app_credentials or self.settings_dict).get("USER") or ""

    @property
    def owner_user(self) -> str:
        return (self.settings_dict.get("OWNER") or {}).get("USER") or self.settings_dict.get("USER") or ""

    @contextmanager
    def as_owner(self) -> Iterator[None]:
        """Reconnect as the schema owner for the block (migrations, test database setup); a no-op when the
        app and the owner are one role (a single-role ``DATABASE_URL``, README "Configuration")."""
        owner = self.settings_dict.get("OWNER") or {}
        if self._app_credentials is not None or not owner.get("USER") or owner["USER"] == self.app_user:
            yield  # already the owner, or one role for both
            return
        self._app_credentials = {key: self.settings_dict.get(key) for key in ("USER", "PASSWORD")}
        self.close()
        self.settings_dict.update({"USER": owner["USER"], "PASSWORD": owner.get("PASSWORD", "")})
        try:
            yield
        finally:
            self.close()
            self.settings_dict.update(self._app_credentials)
            self._app_credentials = None
