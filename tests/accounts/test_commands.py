"""Management commands: create_tenant, create_api_key, seed_demo, and run_all's supervisor."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts import demo_data
from accounts.models import ApiKey, Contact, CustomerAccount, Membership, Role, Tenant
from accounts.models.tenants import hash_api_key
from accounts.tenancy import all_tenants, tenant_scope
from tests.test_celery_worker import database_url_of_this_test_run

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


READ_ALL = "test: what the command wrote, read in every tenant"


# --- create_tenant ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_create_tenant_creates_the_tenant_and_its_admin():
    out = run("create_tenant", "--slug", "acme", "--name", "Acme Corp", "--admin-email", "Boss@Acme.example.com",
              "--timezone", "Europe/Berlin", "--fiscal-year-start-month", "4")
    tenant = Tenant.objects.get(slug="acme")
    assert (tenant.name, tenant.timezone, tenant.fiscal_year_start_month) == ("Acme Corp", "Europe/Berlin", 4)
    with all_tenants(READ_ALL):
        membership = Membership.objects.unscoped().select_related("user").get(tenant=tenant)
    assert membership.role == Role.ADMIN and membership.user.email == "boss@acme.example.com"
    assert not membership.user.has_usable_password()
    assert "acme" in out and "boss@acme.example.com" in out


@pytest.mark.django_db
def test_create_tenant_defaults():
    run("create_tenant", "--slug", "plain", "--name", "Plain", "--admin-email", "a@plain.example.com")
    tenant = Tenant.objects.get(slug="plain")
    assert (tenant.timezone, tenant.fiscal_year_start_month) == ("UTC", 1)


@pytest.mark.django_db
def test_create_tenant_refuses_a_duplicate_slug(world_a):
    with pytest.raises(CommandError, match="already exists"):
        run("create_tenant", "--slug", world_a.tenant.slug, "--name", "Other", "--admin-email", "x@example.com")
    assert Tenant.objects.filter(slug=world_a.tenant.slug).count() == 1
    assert not get_user_model().objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--timezone", "Mars/Olympus"], "unknown time zone"),
    (["--fiscal-year-start-month", "13"], "fiscal-year-start-month"),
    (["--slug", "not a slug!"], "slug"),
])
def test_create_tenant_rejects_bad_input_and_writes_nothing(args, message):
    base = {"--slug": "newco", "--name": "NewCo", "--admin-email": "a@newco.example.com"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        run("create_tenant", *argv)
    assert not Tenant.objects.exists()
    assert not get_user_model().objects.exists()


# --- create_api_key --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_create_api_key_prints_a_working_key_alone_on_the_last_line(world_a, world_b):
    out = run("create_api_key", "--tenant", world_a.tenant.slug, "--scopes", "read, ingest", "--name", "crm")
    raw = out.rstrip("\n").splitlines()[-1]
    assert raw.startswith("csk_") and " " not in raw
    with all_tenants(READ_ALL):
        key = ApiKey.objects.unscoped().get(key_hash=hash_api_key(raw))
        assert raw not in {k.key_hash for k in ApiKey.objects.unscoped().all()}  # only the hash is stored
    assert (key.tenant_id, key.name, sorted(key.scopes)) == (world_a.tenant.pk, "crm", ["ingest", "read"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    response = api.get(reverse("api-account-list"))
    assert response.status_code == 200
    # The key reads its own tenant: look-alike accounts of tenant B are not in the answer.
    body = response.content.decode()
    assert all(acc.external_id in body for acc in world_a.accounts)


@pytest.mark.django_db
@pytest.mark.parametrize(("tenant", "scopes", "message"), [
    ("alpha", "read,admin", "unknown: admin"),
    ("alpha", " , ", "non-empty"),
    ("no-such-tenant", "read", "no tenant"),
])
def test_create_api_key_rejects_bad_scopes_and_unknown_tenants(world_a, tenant, scopes, message):
    with all_tenants(READ_ALL):
        before = ApiKey.objects.unscoped().count()
    with pytest.raises(CommandError, match=message):
        run("create_api_key", "--tenant", tenant, "--scopes", scopes)
    with all_tenants(READ_ALL):
        assert ApiKey.objects.unscoped().count() == before


@pytest.mark.django_db(transaction=True)
def test_create_api_key_last_line_from_a_shell(tmp_path):
    """What the README tells scripts to do: KEY=$(python manage.py create_api_key ... | tail -1)."""
    Tenant.objects.create(slug="shell-co", name="Shell Co")
    env = {**os.environ, "DATABASE_URL": database_url_of_this_test_run(),
           "DJANGO_SETTINGS_MODULE": "cs_platform.settings_test"}
    result = subprocess.run(  # noqa: S603
        ["/bin/sh", "-c", f"{sys.executable} manage.py create_api_key --tenant shell-co --scopes write | tail -1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    raw = result.stdout.strip()
    with all_tenants(READ_ALL):
        assert ApiKey.objects.unscoped().filter(key_hash=hash_api_key(raw), tenant__slug="shell-co").exists()


# --- seed_demo -------------------------------------------------------------------------------------------

def _snapshot() -> dict:
    with all_tenants(READ_ALL):
        return _rows()


def _rows() -> dict:
    return {
        "tenants": sorted(Tenant.objects.values_list("slug", "name", "timezone", "fiscal_year_start_month")),
        "accounts": sorted(CustomerAccount.objects.unscoped().values_list(
            "id", "tenant__slug", "external_id", "name", "domain", "plan", "tier", "arr", "seats",
            "contract_start", "renewal_date", "lifecycle_stage", "owner_csm__email")),
        "contacts": sorted(Contact.objects.unscoped().values_list(
            "id", "tenant__slug", "external_id", "account__external_id", "email", "name", "persona",
            "knowledge_level", "phone")),
        "members": sorted(Membership.objects.unscoped().values_list("tenant__slug", "user__email", "role")),
    }


SEED_ARGS = ("seed_demo", "--accounts", "12", "--contacts-per-account", "3", "--today", "2026-03-01",
             "--events-per-tenant", "300", "--tickets-per-tenant", "8")  # usage and support: test_seed_demo_full


@pytest.mark.django_db
def test_seed_demo_builds_two_realistic_tenants():
    out = run(*SEED_ARGS)
    assert "demo@example.com" in out
    tenants = {t.slug: t for t in Tenant.objects.all()}
    assert set(tenants) == {"northwind", "globex"}
    assert (tenants["northwind"].name, tenants["northwind"].timezone) == ("Northwind Analytics",
                                                                          "America/Los_Angeles")
    assert (tenants["globex"].name, tenants["globex"].timezone) == ("Globex Cloud", "Europe/Berlin")
    for tenant in tenants.values():
        _check_seeded(tenant)


def _check_seeded(tenant: Tenant) -> None:
    with tenant_scope(tenant):
        roles = set(Membership.objects.unscoped().filter(tenant=tenant).values_list("role", flat=True))
        assert roles == set(Role.values)
        assert Membership.objects.unscoped().get(tenant=tenant, user__email=demo_data.DEMO_EMAIL).role == Role.ADMIN
        accounts = CustomerAccount.objects.unscoped().filter(tenant=tenant)
        assert accounts.count() == 12
        assert Contact.objects.unscoped().filter(tenant=tenant).count() == 36
        assert accounts.filter(tier="premium").exists() and accounts.exclude(tier="premium").exists()
        assert accounts.filter(renewal_date__lte="2026-05-01").exists()  # a renewal pipeline to work on
        assert accounts.filter(renewal_date__gt="2026-06-01").exists()
        assert len(set(accounts.values_list("lifecycle_stage", flat=True))) >= 3
        assert all(a.arr > 0 and a.seats and a.domain and a.contract_start < a.renewal_date for a in accounts)
        # Owners are CSMs of the same tenant.
        owners = set(accounts.exclude(owner_csm=None).values_list("owner_csm_id", flat=True))
        assert owners and owners <= set(Membership.objects.unscoped().filter(
            tenant=tenant, role=Role.CSM).values_list("user_id", flat=True))
        contact = Contact.objects.unscoped().filter(tenant=tenant).select_related("account").first()
        assert contact.email.endswith("@" + contact.account.domain) and contact.name and contact.persona


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    run(*SEED_ARGS)
    first = _snapshot()
    out = run(*SEED_ARGS)
    assert _snapshot() == first
    assert "0 created, 0 updated" in out


@pytest.mark.django_db
def test_seed_demo_reset_rebuilds_the_same_external_rows():
    run(*SEED_ARGS)
    first = _snapshot()
    # A change made while playing with the demo is undone by --reset.
    with all_tenants(READ_ALL):
        CustomerAccount.objects.unscoped().filter(external_id="ACC-1001").update(name="Renamed while playing")
    run(*SEED_ARGS, "--reset")
    again = _snapshot()
    strip_ids = lambda rows: sorted(r[1:] for r in rows)  # noqa: E731 - new rows get new ids
    assert strip_ids(again["accounts"]) == strip_ids(first["accounts"])
    assert strip_ids(again["contacts"]) == strip_ids(first["contacts"])
    assert again["members"] == first["members"]


@pytest.mark.django_db
def test_demo_login_shows_the_tenant_switcher(client):
    run("seed_demo", "--accounts", "2", "--contacts-per-account", "1", "--events-per-tenant", "50",
        "--tickets-per-tenant", "3")
    # Through the login page: axes' backend needs the request that client.login() does not give it.
    signed_in = client.post(reverse("login"), {"username": demo_data.DEMO_EMAIL, "password": demo_data.DEMO_PASSWORD})
    assert signed_in.status_code == 302
    page = client.get(reverse("home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Northwind Analytics" in html and "Globex Cloud" in html
    assert client.get(reverse("account-list", args=["globex"])).status_code == 200
    # The demo user is staff, so the admin shows the demo tenants' rows.
    assert client.get(reverse("admin:accounts_customeraccount_changelist")).status_code == 200


# --- run_all ---------------------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import pathlib, signal, sys, time
    marker = pathlib.Path(sys.argv[1])
    def on_term(signum, frame):
        marker.write_text("TERM")
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    marker.write_text("started")
    if len(sys.argv) > 2:
        time.sleep(float(sys.argv[2]))
        sys.exit(3)
    time.sleep(120)
""")

SUPERVISOR = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cs_platform.run_all import Child, Supervisor
    child, a, b = sys.argv[1:4]
    extra = sys.argv[4:]
    children = [Child("a", [sys.executable, child, a]), Child("b", [sys.executable, child, b, *extra])]
    sys.exit(Supervisor(children, env=dict(__import__("os").environ), cwd=Path(".")).run(["banner line"]))
""")


def _wait_for(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _start_supervisor(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen, Path, Path]:
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "supervisor.py").write_text(SUPERVISOR)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, str(tmp_path / "supervisor.py"), str(tmp_path / "child.py"), str(a), str(b), *extra],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, a, b


def test_run_all_forwards_sigterm_to_every_child(tmp_path):
    proc, a, b = _start_supervisor(tmp_path)
    try:
        _wait_for(lambda: a.exists() and b.exists() and a.read_text() == b.read_text() == "started")
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    assert a.read_text() == "TERM" and b.read_text() == "TERM"
    assert "banner line" in out and "got SIGTERM" in out


def test_run_all_stops_everything_when_one_child_dies(tmp_path):
    proc, a, b = _start_supervisor(tmp_path, "1")
    try:
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, out
    assert "b exited with code 3" in out
    assert a.read_text() == "TERM"  # the healthy child was told to stop, and did
