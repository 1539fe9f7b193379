"""The two database roles of DESIGN.md tenancy rule 8, created on a server where we are an administrator.

- ``cs_owner`` owns the database and its schema; migrations run as it (CREATEDB, so that the test run
  can create its test database).
- ``cs_app`` is what the application connects as: it owns nothing, is no superuser and has no BYPASSRLS,
  so row-level security holds for every statement it sends.

``make run`` and ``make test`` on the embedded PostgreSQL call :func:`ensure_roles` (through
``cs_platform.embedded_db``); ``.ci/run`` calls the command line::

    python -m cs_platform.db.roles postgres://postgres@127.0.0.1:5432/postgres

which prints the ``DATABASE_URL`` (app role) and ``DATABASE_OWNER_URL`` to export. The roles log in
without a password, which suits a server that trusts its local connections (the embedded one, CI's); on
any other server create them yourself (README "Configuration", "Database roles").
"""

from __future__ import annotations

import shlex
import sys
from urllib.parse import urlsplit, urlunsplit

OWNER_ROLE = "cs_owner"
APP_ROLE = "cs_app"


def url_for_role(url: str, role: str, database: str | None = None) -> str:
    """``url`` with its user (and password) replaced by ``role``, and optionally another database."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    path = f"/{database}" if database else parts.path
    return urlunsplit((parts.scheme, f"{role}@{host}" if host else f"{role}@", path, parts.query, parts.fragment))


def ensure_roles(admin_url: str, database: str | None = None) -> tuple[str, str]:
    """Create the two roles (and ``database``, owned by the owner role) if missing; answers the app's and
    the owner's URLs. Idempotent; an existing role is left as it is, except that the app role is made
    unable to bypass row-level security whatever it was."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)",
                                                   [[OWNER_ROLE, APP_ROLE]])}
        if OWNER_ROLE not in existing:
            conn.execute(f"CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB NOSUPERUSER NOCREATEROLE")
        if APP_ROLE not in existing:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        conn.execute(f"ALTER ROLE {APP_ROLE} NOSUPERUSER NOBYPASSRLS")
        if database:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}')
    return url_for_role(admin_url, APP_ROLE, database), url_for_role(admin_url, OWNER_ROLE, database)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("usage: python -m cs_platform.db.roles ADMIN_URL [DATABASE]", file=sys.stderr)
        return 2
    app_url, owner_url = ensure_roles(*argv)
    print(f"export DATABASE_URL={shlex.quote(app_url)}")
    print(f"export DATABASE_OWNER_URL={shlex.quote(owner_url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
