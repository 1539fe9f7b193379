"""The README's commands work as written on a fresh clone after ``make run`` (issue 11): every command that runs
Python names the project's ``.venv/bin/python`` (nothing to activate), and the management commands, run exactly
as the README prints them by ``/bin/sh`` in a clean environment holding only what ``make run`` wrote to ``.env``,
succeed; ``KEY=$(...)`` captures the API key itself. Without ``.env`` the same command fails the way the issue
reported ("SECRET_KEY must be set when DEBUG is off"), so this test would have caught it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import ApiKey, Tenant
from accounts.models.tenants import hash_api_key
from accounts.tenancy import all_tenants
from cs_platform import localenv
from tests.test_celery_worker import database_url_of_this_test_run

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PREFIX = ".venv/bin/python"


def shell_blocks(text: str = README) -> list[str]:
    return re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, flags=re.S)


def commands(block: str) -> list[str]:
    """The block's commands: comments dropped, ``\\`` continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def code_spans(text: str = README) -> list[str]:
    return re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))


def test_every_python_command_uses_the_project_venv():
    runs = [c for block in shell_blocks() for c in commands(block) if "manage.py" in c or "python" in c]
    assert runs, "the README's shell blocks are not found any more"
    bad = [c for c in runs if not re.search(rf"(^|\$\(){re.escape(PREFIX)} (manage\.py|-m) ", c)]
    assert not bad, f"commands without the {PREFIX} prefix: {bad}"
    bare = [s for s in code_spans() if re.search(r"(?<![/\w])python3? (manage\.py|-m )", s)]
    assert not bare, f"inline commands without the {PREFIX} prefix: {bare}"


def test_make_run_writes_the_env_file_before_any_manage_py_command():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nrun:") + 1:].split("\n\n")[0]
    lines = [line.strip() for line in recipe.splitlines()[1:]]
    assert lines[0] == "$(PY) -m cs_platform.localenv", lines
    assert all("manage.py" in line for line in lines[1:])
    assert "$${PORT:-8000}" in recipe and "$${HOST:-127.0.0.1}" in recipe  # README: make run PORT=... HOST=...


def test_env_file_parsing_and_the_environment_winning(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text("# comment\nDEBUG=1\nexport SECRET_KEY='abc'\n\nCS_TEST_ONLY_X=\"y z\"\n", encoding="utf-8")
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.delenv("CS_TEST_ONLY_X", raising=False)
    localenv.load(path)
    assert os.environ["DEBUG"] == "0" and os.environ["CS_TEST_ONLY_X"] == "y z"
    monkeypatch.delenv("CS_TEST_ONLY_X")
    assert localenv.parse(path.read_text())["SECRET_KEY"] == "abc"
    # Written once: a second write keeps the developer's file.
    written = tmp_path / "new.env"
    assert localenv.write_default(written, {"DATABASE_URL": "postgres://x/y"}) is True
    first = written.read_text()
    assert "DEBUG=1" in first and "DATABASE_URL=postgres://x/y" in first
    assert len(localenv.parse(first)["SECRET_KEY"]) >= 50
    assert localenv.write_default(written, {}) is False and written.read_text() == first
    assert written.stat().st_mode & 0o077 == 0


def _readme_command(start: str) -> str:
    found = [c for block in shell_blocks() for c in commands(block) if c.startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def _clean_env(env_file: Path, home: Path) -> dict[str, str]:
    # What a new shell in the checkout has: no virtualenv, no DEBUG, no SECRET_KEY, no DATABASE_URL.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
            "CS_ENV_FILE": str(env_file)}


@pytest.mark.django_db(transaction=True)
def test_readme_management_commands_run_as_written(tmp_path):
    env_file, var_dir = tmp_path / ".env", tmp_path / "var"
    # What `make run` does first, with the database and broker of this test run standing in for the embedded
    # ones a fresh clone gets (they would reach .env the same way when set for `make run`).
    made = {**_clean_env(env_file, tmp_path), "DATABASE_URL": database_url_of_this_test_run(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, "CS_VAR_DIR": str(var_dir)}
    written = subprocess.run([sys.executable, "-m", "cs_platform.localenv"], cwd=ROOT, env=made,  # noqa: S603
                             capture_output=True, text=True, timeout=120)
    assert written.returncode == 0 and env_file.exists(), written.stderr

    create_tenant = _readme_command(f"{PREFIX} manage.py create_tenant")
    create_key = _readme_command(f"KEY=$({PREFIX} manage.py create_api_key")
    script = f'set -e\n{create_tenant}\n{create_key}\nprintf "%s" "$KEY" > "{tmp_path}/key"\n'
    result = subprocess.run(["/bin/sh", "-c", script], cwd=ROOT, env=_clean_env(env_file, tmp_path),  # noqa: S603
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    raw = (tmp_path / "key").read_text()
    assert raw.startswith("csk_") and "\n" not in raw and " " not in raw
    tenant = Tenant.objects.get(slug="acme")
    assert (tenant.name, tenant.timezone, tenant.fiscal_year_start_month) == ("Acme Corp", "Europe/Berlin", 4)
    with all_tenants("test: the key the README's command created"):
        key = ApiKey.objects.unscoped().get(key_hash=hash_api_key(raw))
    assert key.tenant_id == tenant.pk and sorted(key.scopes) == ["ingest", "read", "write"]


def test_without_the_env_file_the_command_fails_as_the_issue_reported(tmp_path):
    """The same README command before `.env` existed: the failure this test guards against."""
    create_tenant = _readme_command(f"{PREFIX} manage.py create_tenant")
    result = subprocess.run(["/bin/sh", "-c", create_tenant], cwd=ROOT,  # noqa: S603
                            env=_clean_env(tmp_path / "missing.env", tmp_path), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr
