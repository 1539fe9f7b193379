"""Row-level security on every tenant-owned relation (DESIGN.md tenancy rule 8), and the app role's grants.

A relation is tenant-owned when it has a ``tenant_id`` column: every ``TenantOwnedModel`` table, the
partitioned usage-event table and each of its monthly partitions (policies are not inherited, and a
partition can be queried by name), and the rollup view. Each table gets ENABLE and FORCE ROW LEVEL
SECURITY (FORCE: the owner role is bound too, unless it is a superuser) and two permissive policies:

- ``tenant_isolation``: ``tenant_id = app.tenant_id``, for reading and for writing (WITH CHECK), so a
  statement in tenant A's scope neither sees nor inserts nor moves a row of B;
- ``all_tenants_bypass``: every row when ``app.all_tenants = 'on'``, set only by
  ``accounts.tenancy.all_tenants()`` (the allow-listed bypass).

The settings are read through ``(SELECT ...)`` so that PostgreSQL evaluates them once per statement (an
InitPlan), not once per row; ``nullif(..., '')`` turns "not set in this transaction" into NULL, which
matches no row (the policy then hides everything instead of failing on ``''::bigint``).

A view runs with its owner's rights unless ``security_invoker`` is on (PostgreSQL 15+); the rollup view
gets it, so the policies of the tables under it apply to the reader.

:class:`ProtectTenantTables` is the migration operation; it is idempotent, protects every tenant-owned
relation that exists when it runs, and a later app's migration that adds tables ends with it too.
``tests/architecture/test_row_level_security.py`` reads ``pg_class``/``pg_policies`` and fails for a
tenant-owned relation left without it.
"""

from __future__ import annotations

from django.db import migrations

POLICY = "tenant_isolation"
BYPASS_POLICY = "all_tenants_bypass"

TENANT_MATCHES = "tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::bigint)"
BYPASS_IS_ON = "(SELECT current_setting('app.all_tenants', true)) = 'on'"

_TENANT_MATCHES_LITERAL = TENANT_MATCHES.replace("'", "''")  # inside the function's string literals
_BYPASS_IS_ON_LITERAL = BYPASS_IS_ON.replace("'", "''")

# A plpgsql function, so that the partitions created at run time (cs_create_usage_partition, below) are
# protected by the very same statements as the tables the migration protects.
PROTECT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cs_protect_tenant_table(relation regclass) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $fn$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', relation);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', relation);
    EXECUTE format('DROP POLICY IF EXISTS {POLICY} ON %s', relation);
    EXECUTE format('CREATE POLICY {POLICY} ON %s USING ({_TENANT_MATCHES_LITERAL}) '
                   'WITH CHECK ({_TENANT_MATCHES_LITERAL})',
                   relation);
    EXECUTE format('DROP POLICY IF EXISTS {BYPASS_POLICY} ON %s', relation);
    EXECUTE format('CREATE POLICY {BYPASS_POLICY} ON %s USING ({_BYPASS_IS_ON_LITERAL}) '
                   'WITH CHECK ({_BYPASS_IS_ON_LITERAL})',
                   relation);
END
$fn$;
REVOKE ALL ON FUNCTION cs_protect_tenant_table(regclass) FROM PUBLIC;
"""

# The application role owns nothing, so it cannot create or drop a month's partition of the events
# table itself: these two functions do it with the owner's rights (SECURITY DEFINER), and nothing else.
# The name and bounds are derived from the month here, not passed in. Dropping checks for rows of every
# tenant (with the bypass for that one query, and the caller's setting restored after it).
PARTITION_FUNCTIONS = """
CREATE OR REPLACE FUNCTION cs_create_usage_partition(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    first_day date := date_trunc('month', month)::date;
    partition text := 'health_usage_event_p' || to_char(first_day, 'YYYYMM');
BEGIN
    IF to_regclass(partition) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I PARTITION OF health_usage_event FOR VALUES FROM (%L) TO (%L)', partition,
                   first_day::timestamp AT TIME ZONE 'UTC', (first_day + interval '1 month') AT TIME ZONE 'UTC');
    PERFORM cs_protect_tenant_table(partition::regclass);
    RETURN partition;
END
$fn$;

CREATE OR REPLACE FUNCTION cs_drop_usage_partition(month date, only_if_empty boolean) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    partition text := 'health_usage_event_p' || to_char(date_trunc('month', month), 'YYYYMM');
    caller_bypass text := coalesce(current_setting('app.all_tenants', true), '');
    has_rows boolean := false;
BEGIN
    IF to_regclass(partition) IS NULL THEN
        RETURN false;
    END IF;
    -- Parent first, as inserts lock them: no deadlock with a batch holding the parent.
    EXECUTE format('LOCK TABLE health_usage_event, %I IN ACCESS EXCLUSIVE MODE', partition);
    IF only_if_empty THEN
        -- Rows of any tenant keep the partition: look with the bypass, then give the caller its own back.
        PERFORM set_config('app.all_tenants', 'on', true);
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', partition) INTO has_rows;
        PERFORM set_config('app.all_tenants', caller_bypass, true);
    END IF;
    IF has_rows THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE %I', partition);
    RETURN true;
END
$fn$;
REVOKE ALL ON FUNCTION cs_create_usage_partition(date) FROM PUBLIC;
REVOKE ALL ON FUNCTION cs_drop_usage_partition(date, boolean) FROM PUBLIC;
"""

# Functions the application role may call (grant_app_role).
APP_FUNCTIONS = ("cs_create_usage_partition(date)", "cs_drop_usage_partition(date, boolean)")

TENANT_RELATIONS = """
SELECT c.oid::regclass::text, c.relkind
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')
ORDER BY 1
"""


def protect_tenant_relations(cursor) -> list[str]:
    """Protect every tenant-owned relation of the current schema; answers their names."""
    cursor.execute(PROTECT_FUNCTION)
    cursor.execute(TENANT_RELATIONS)
    relations = cursor.fetchall()
    for name, kind in relations:
        if kind == "v":
            cursor.execute(f"ALTER VIEW {name} SET (security_invoker = true)")
        else:
            cursor.execute("SELECT cs_protect_tenant_table(%s::regclass)", [name])
    return [name for name, _ in relations]


class ProtectTenantTables(migrations.operations.base.Operation):
    """Migration operation: row-level security on every tenant-owned relation that exists (module doc)."""

    reduces_to_sql = False  # it reads the catalogue to know what to protect: no fixed SQL for sqlmigrate
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PARTITION_FUNCTIONS)
            protect_tenant_relations(cursor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass  # leaving the protection on is the safe direction; the tables go with their own migrations

    def describe(self):
        return "Row-level security on every tenant-owned table and view"


def grant_app_role(cursor, app_role: str, *, truncate: bool = False) -> None:
    """What the application role may do: read and write rows (row-level security decides which), use the
    sequences, call the partition functions, and the same on tables the owner creates later (default
    privileges: new migrations, new partitions). Run by ``migrate`` as the owner. ``truncate`` only for
    the test database, whose transactional tests are flushed with TRUNCATE."""
    role = _quoted(cursor, app_role)
    table_rights = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate else "")
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    cursor.execute(f"GRANT {table_rights} ON ALL TABLES IN SCHEMA public TO {role}")
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    cursor.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {table_rights} ON TABLES TO {role}")
    cursor.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}")
    for function in APP_FUNCTIONS:
        cursor.execute("SELECT to_regprocedure(%s)", [function])
        if cursor.fetchone()[0] is not None:
            cursor.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role}")


def _quoted(cursor, identifier: str) -> str:
    cursor.execute("SELECT quote_ident(%s)", [identifier])
    return cursor.fetchone()[0]
