"""Issue 10: account dates (``contract_start``, ``renewal_date``) from the API, the CSV import (same serializer) and
the account form are inside cs_platform.bounds' window (2000-01-01 to today + 10 years), ASCII digits only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.forms import AccountForm
from accounts.inputs import AccountItem
from accounts.models import CustomerAccount
from accounts.tasks import run_csv_import
from cs_platform import bounds
from tests.accounts.test_import_export import the_job, upload

pytestmark = pytest.mark.django_db

BULK = "/api/v1/accounts/bulk"


def outside() -> list[str]:
    return ["9999-12-31", "0001-01-01", "1999-12-31", (bounds.latest_date() + dt.timedelta(days=1)).isoformat(),
            "٢٠٢٦-01-01"]


def inside() -> list[str]:
    return ["2000-01-01", bounds.latest_date().isoformat()]


@pytest.mark.parametrize("field", ["contract_start", "renewal_date"])
@pytest.mark.parametrize("when", outside())
def test_api_rejects_dates_outside_naming_the_field(world_a, field, when):
    item = {"external_id": "new-1", "name": "New", field: when}
    out = world_a.api().post(BULK, data=json.dumps([item]), content_type="application/json").json()
    assert out["accepted"] == 0
    assert [e["field"] for e in out["rejected"][0]["errors"]] == [field]
    with world_a.scope():
        assert not CustomerAccount.objects.filter(external_id="new-1").exists()
    assert world_a.client_for().get(reverse("account-list", args=[world_a.tenant.slug])).status_code == 200


def test_api_accepts_dates_just_inside(world_a):
    start, renewal = inside()
    item = {"external_id": "new-1", "name": "New", "contract_start": start, "renewal_date": renewal}
    out = world_a.api().post(BULK, data=json.dumps([item]), content_type="application/json").json()
    assert out["accepted"] == 1, out


@pytest.mark.parametrize("when", outside())
def test_csv_cells_outside_are_errors_of_the_field(when):
    # The CSV import validates each row with AccountItem (accounts/inputs.py); cells are strings.
    item = AccountItem(data={"external_id": "x", "name": "X", "renewal_date": when})
    assert not item.is_valid()
    assert set(item.errors) == {"renewal_date"}


@pytest.mark.parametrize("field", ["contract_start", "renewal_date"])
@pytest.mark.parametrize("when", outside())
def test_account_form_refuses_dates_outside(world_a, field, when):
    form = AccountForm(data={"external_id": "f-1", "name": "F", "arr": "0", "lifecycle_stage": "onboarding",
                             field: when}, tenant=world_a.tenant)
    with world_a.scope():
        assert not form.is_valid()
    assert field in form.errors


def test_account_form_accepts_dates_just_inside(world_a):
    start, renewal = inside()
    form = AccountForm(data={"external_id": "f-1", "name": "F", "arr": "0", "lifecycle_stage": "onboarding",
                             "contract_start": start, "renewal_date": renewal}, tenant=world_a.tenant)
    with world_a.scope():
        assert form.is_valid(), form.errors
    assert timezone.now().date() < form.cleaned_data["renewal_date"]


@pytest.mark.parametrize("name", ["renewal_after", "renewal_before"])
@pytest.mark.parametrize("when", outside())
def test_list_date_filters_outside_are_a_400_naming_the_parameter(world_a, name, when):
    r = world_a.api().get("/api/v1/accounts", {name: when})
    assert r.status_code == 400, r.content
    assert {e["field"] for e in r.json()["errors"]} == {name}


@pytest.mark.parametrize("when", outside())
def test_updated_since_outside_is_a_400_on_accounts_and_contacts(world_a, when):
    when = f"{when}T00:00:00Z" if len(when) == 10 else when
    for url in ("/api/v1/accounts", "/api/v1/contacts"):
        r = world_a.api().get(url, {"updated_since": when})
        assert r.status_code == 400, r.content
        assert {e["field"] for e in r.json()["errors"]} == {"updated_since"}


def test_list_date_filters_just_inside_are_accepted(world_a):
    start, end = inside()
    assert world_a.api().get("/api/v1/accounts", {"renewal_after": start, "renewal_before": end}).status_code == 200


def test_csv_import_rejects_rows_with_dates_outside_naming_line_and_field(world_a, django_capture_on_commit_callbacks):
    a = world_a
    text = ("external_id,name,contract_start,renewal_date\n"
            "far,Far,2025-01-01,9999-12-31\n"  # 2
            "old,Old,0001-01-01,\n"  # 3
            "arabic,Arabic,٢٠٢٦-01-01,\n"  # 4
            "ok,Ok,2000-01-01,2030-01-01\n")  # 5
    upload(a.client_for(a.csm), a, "account-import", text, django_capture_on_commit_callbacks)
    job = the_job(a)
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert {(e["row"], e["field"]) for e in job.result["errors"]} == {
        (2, "renewal_date"), (3, "contract_start"), (4, "contract_start")}
    with a.scope():
        assert not CustomerAccount.objects.filter(external_id__in=["far", "old", "arabic"]).exists()
        assert CustomerAccount.objects.filter(external_id="ok").exists()
    assert a.client_for().get(reverse("account-list", args=[a.tenant.slug])).status_code == 200
