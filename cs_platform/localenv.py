"""The checkout's ``.env``: what ``make run`` set up, read by every later ``manage.py`` command.

``make run`` starts with ``DEBUG=1`` and, on a fresh clone, the embedded database; a command typed afterwards
(``.venv/bin/python manage.py create_tenant ...``) has neither in its environment, and without ``DEBUG`` the
settings refuse to load ("SECRET_KEY must be set when DEBUG is off"). So ``make run`` writes ``.env`` once
(``python -m cs_platform.localenv``): ``DEBUG=1``, a random ``SECRET_KEY`` (sessions survive restarts), and
the database and broker variables it ran with, if any; ``manage.py`` loads it before the settings.

The file only fills in what the environment leaves unset (the environment always wins), and only
``manage.py`` reads it: the test settings, ``wsgi.py`` and production never do. ``CS_ENV_FILE`` names
another file (the tests use one of their own).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent / ".env"

# Copied into a new .env when set in the environment of `make run`, so later commands use the same ones.
CARRIED = ("DATABASE_URL", "DATABASE_OWNER_URL", "CELERY_BROKER_URL", "CS_VAR_DIR")


def env_path() -> Path:
    return Path(os.environ.get("CS_ENV_FILE") or DEFAULT_PATH)


def parse(text: str) -> dict[str, str]:
    """``NAME=value`` lines; blank lines and ``#`` comments skipped; one pair of surrounding quotes dropped."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.removeprefix("export ").strip()] = value
    return values


def load(path: Path | None = None) -> None:
    """Fill the process environment's unset variables from ``.env`` (if there is one)."""
    path = path or env_path()
    if path.is_file():
        for name, value in parse(path.read_text(encoding="utf-8")).items():
            os.environ.setdefault(name, value)


def default_text(environ: Mapping[str, str]) -> str:
    lines = ["# Written by `make run` (cs_platform/localenv.py) for this checkout: manage.py reads it.",
             "# Variables set in the environment win over these. Not for production.",
             "DEBUG=1", f"SECRET_KEY={secrets.token_urlsafe(50)}"]
    lines += [f"{name}={environ[name]}" for name in CARRIED if environ.get(name)]
    return "\n".join(lines) + "\n"


def write_default(path: Path | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Write ``.env`` unless it exists (a developer's edits are kept); True when written."""
    path = path or env_path()
    if path.exists():
        return False
    path.write_text(default_text(os.environ if environ is None else environ), encoding="utf-8")
    path.chmod(0o600)  # it holds the secret key
    return True


if __name__ == "__main__":
    target = env_path()
    if write_default(target):
        sys.stdout.write(f"Wrote {target} (DEBUG=1, a new SECRET_KEY): manage.py commands read it.\n")
