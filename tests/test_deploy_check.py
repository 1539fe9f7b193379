"""Production settings: ``check --deploy`` is clean with the documented variables, and a production start
without a SECRET_KEY fails instead of running with the development key.

Each case runs ``manage.py`` in a fresh process with an environment built from nothing, so that the
relaxations the test settings put into this process's environment (plain http, CS_ALLOW_DEV_SECRET)
cannot leak in and hide a problem.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_celery_worker import database_url_of_this_test_run

ROOT = Path(__file__).resolve().parents[1]
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "VIRTUAL_ENV")


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASSTHROUGH if name in os.environ}
    env.update({
        "DJANGO_SETTINGS_MODULE": "cs_platform.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "ALLOWED_HOSTS": "cs.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or database_url_of_this_test_run(),
        # Another role than the app's (only read by check --deploy): the split of row-level security.
        "DATABASE_OWNER_URL": os.environ.get("DATABASE_OWNER_URL") or "postgres://cs_owner@127.0.0.1:5432/cs",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        # Only read, never connected to, by check --deploy: no Redis needs to run for this test.
        "CACHE_URL": "redis://127.0.0.1:6399/15",
        "CS_VAR_DIR": os.environ.get("CS_VAR_DIR", str(ROOT / "var")),
    })
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.django_db
def test_check_deploy_passes_with_the_production_variables():
    env = production_env()
    assert len(env["SECRET_KEY"]) >= 50
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS:" not in output and "ERRORS:" not in output, output


@pytest.mark.django_db
def test_check_deploy_reports_a_debug_production():
    # The same command fails when the configuration is not a production one: the test above means something.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="1"))
    assert result.returncode != 0
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


@pytest.mark.django_db
def test_check_deploy_warns_without_a_shared_cache():
    # Per-process counters: each worker process would grant the full API rate and reset quota on its own.
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(CACHE_URL=None))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "cs_platform.W001" in output and "do not hold across processes" in output, output


@pytest.mark.django_db
def test_check_deploy_warns_when_the_app_connects_as_the_schema_owner():
    env = production_env(DATABASE_OWNER_URL=None)
    env["DATABASE_URL"] = "postgres://cs_owner@127.0.0.1:5432/cs"  # one role for both
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "cs_platform.W002" in output and "owns the schema" in output, output


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [None, ""], ids=["unset", "empty"])
def test_settings_refuse_to_load_without_a_secret_key_when_debug_is_off(secret):
    env = production_env(SECRET_KEY=secret, CS_ALLOW_DEV_SECRET=None)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr, result.stderr
