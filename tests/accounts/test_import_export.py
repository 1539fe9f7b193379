"""CSV import (upload -> job -> task -> report) and export (filtered list, round-trips through import)."""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts import imports
from accounts.models import Contact, CustomerAccount, Job, LifecycleStage
from accounts.tasks import run_csv_import
from cs_platform.web.pages import spreadsheet_safe
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = "external_id,name,domain,plan,tier,arr,seats,contract_start,renewal_date,lifecycle_stage,csm_email"


def upload(client, world, name: str, text: str | bytes, capture):
    data = text.encode() if isinstance(text, str) else text
    with mock.patch.object(run_csv_import, "delay") as delay, capture(execute=True):
        response = client.post(reverse(name, args=[world.tenant.slug]),
                               {"file": SimpleUploadedFile("data.csv", data, content_type="text/csv")})
    return response, delay


def the_job(world) -> Job:
    with world.scope():
        return Job.objects.get()


def test_good_rows_are_imported_through_a_job(world_a, django_capture_on_commit_callbacks):
    a = world_a
    client = a.client_for(a.csm)
    text = (
        f"{ACCOUNT_HEADER}\n"
        f"new-1,Globex,globex.io,pro,Premium,1200.50,10,2026-01-01,2027-01-01,adoption,{a.csm.user.email}\n"
        "new-2,Initech,,,,,,,,,\n"
        "acc-0,Acme Zero,,,,5,,,,mature,\n"
    )
    response, delay = upload(client, a, "account-import", text, django_capture_on_commit_callbacks)
    job = the_job(a)
    assert response.status_code == 302
    assert response["Location"] == reverse("job-progress", args=[a.tenant.slug, job.pk])
    delay.assert_called_once_with(a.tenant.pk, job.pk)  # enqueued after the commit, with ids only
    assert (job.kind, job.state, job.total, job.done) == ("import_accounts", "queued", 3, 0)
    assert job.input_text == text and job.created_by == a.csm.user

    progress_url = reverse("job-progress", args=[a.tenant.slug, job.pk])
    before = client.get(progress_url).content.decode()
    assert "<progress" in before and 'hx-trigger="every 1s"' in before and "Queued" in before
    assert "style=" not in before and "<script>" not in before

    run_csv_import(a.tenant.pk, job.pk)  # the task function, run here rather than by a worker

    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 3)
    assert job.result | {"errors": []} == {"accepted": 3, "duplicates": 0, "created": 2, "updated": 1,
                                           "rejected": 0, "errors": [], "errors_not_shown": 0}
    with a.scope():
        globex = CustomerAccount.objects.get(external_id="new-1")
        acme0 = CustomerAccount.objects.get(external_id="acc-0")
    assert globex.tier == "premium" and globex.arr == Decimal("1200.50") and globex.owner_csm == a.csm.user
    assert acme0.name == "Acme Zero" and acme0.lifecycle_stage == LifecycleStage.MATURE

    after = client.get(progress_url, headers={"HX-Request": "true"})
    body = after.content.decode()
    assert "<html" not in body and "hx-trigger" not in body  # finished: the partial stops polling
    assert 'id="count-accepted">3<' in body and "No errors." in body


def test_per_row_errors_name_csv_lines_and_fields(worlds, django_capture_on_commit_callbacks):
    a, b = worlds
    text = (
        "external_id,name,arr,contract_start,renewal_date,lifecycle_stage,csm_email\n"  # line 1
        "ok-1,Fine,10,,,,\n"  # 2
        "bad-arr,Bad ARR,lots,,,,\n"  # 3
        "\n"  # 4: blank, skipped
        '"multi-1","Two\nlines",1,,,,\n'  # 5-6: one record over two lines
        "bad-dates,Dates,1,2026-05-01,2026-01-01,,\n"  # 7
        f"bad-csm,Csm,1,,,,{b.csm.user.email}\n"  # 8: a CSM of the other tenant
        "bad-stage,Stage,1,,,zombie,\n"  # 9
        "short,row\n"  # 10: too few cells
        "ok-1,Fine again,11,,,,\n"  # 11: duplicate external id in the batch
        ",No id,1,,,,\n"  # 12
    )
    _response, _delay = upload(a.client_for(a.csm), a, "account-import", text, django_capture_on_commit_callbacks)
    job = the_job(a)
    assert job.total == 9
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    result = job.result
    errors = {(e["row"], e["field"]) for e in result["errors"]}
    assert errors == {(3, "arr"), (7, "renewal_date"), (8, "csm_email"), (9, "lifecycle_stage"), (10, ""),
                      (11, "external_id"), (12, "external_id")}
    assert (result["accepted"], result["rejected"], job.done, job.state) == (2, 7, 9, "done")
    with a.scope():
        assert set(CustomerAccount.objects.filter(external_id__in=["ok-1", "multi-1"])
                   .values_list("name", flat=True)) == {"Fine", "Two\nlines"}
        assert not CustomerAccount.objects.filter(external_id__in=["bad-arr", "bad-dates", "bad-csm"]).exists()
    page = a.client_for(a.csm).get(reverse("job-progress", args=[a.tenant.slug, job.pk])).content.decode()
    assert 'id="import-errors"' in page and "must not be before contract_start" in page


def test_unknown_column_missing_column_and_bad_files_are_form_errors(world_a, django_capture_on_commit_callbacks):
    a = world_a
    client = a.client_for(a.csm)
    cases = {
        "external_id,name,seat\nx,y,1\n": "Unknown column(s): seat",
        "name,domain\nx,y\n": "Missing required column(s): external_id",
        "external_id,name\n": "no rows",
        "": "empty",
        b"external_id,name\nx,\xff\xfe\n": "not UTF-8",
    }
    for text, message in cases.items():
        response, delay = upload(client, a, "account-import", text, django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["file"]), text
        delay.assert_not_called()
    response, _ = upload(client, a, "contact-import", "external_id,account,company\n1,2,3\n",
                         django_capture_on_commit_callbacks)
    assert "Unknown column(s): company" in response.content.decode()
    with a.scope():
        assert not Job.objects.exists()


def test_upload_over_5_mb_is_refused(world_a, django_capture_on_commit_callbacks):
    a = world_a
    big = "external_id,name\n" + "x" * (5 * 1024 * 1024)
    response, delay = upload(a.client_for(a.csm), a, "account-import", big, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "the limit is 5 MB" in response.context["form"].errors["file"][0]
    delay.assert_not_called()


def test_rows_are_processed_in_chunks_with_progress(world_a):
    a = world_a
    lines = [f"bulk-{i},Bulk {i}" for i in range(5)]
    with a.scope():
        job = Job.objects.create(tenant=a.tenant, kind="import_accounts", total=5,
                                 input_text="external_id,name\n" + "\n".join(lines) + "\n")
    seen: list[tuple[int, int]] = []

    def spy(*, tenant, items):
        seen.append((len(items), Job.objects.get(pk=job.pk).done))
        return imports.upsert_accounts(tenant=tenant, items=items)

    kinds = {"import_accounts": dataclasses.replace(imports.ACCOUNT_IMPORT, upsert=spy)}
    with a.scope(), mock.patch.object(imports, "IMPORT_KINDS", kinds):
        imports.run_import(tenant=a.tenant, job=job, chunk_size=2)
    assert seen == [(2, 0), (2, 2), (1, 4)]
    job.refresh_from_db()
    assert (job.done, job.state, job.result["created"]) == (5, "done", 5)


def test_contact_import_reports_unknown_accounts_and_taken_emails(world_a, django_capture_on_commit_callbacks):
    a = world_a
    text = (
        "external_id,account,email,name,knowledge_level\n"
        "c-1,acc-1,new@example.com,New Person,expert\n"
        "c-2,no-such-account,other@example.com,Lost,\n"
        "c-3,acc-2,USER0@acme0.example.com,Copycat,\n"
    )
    upload(a.client_for(a.csm), a, "contact-import", text, django_capture_on_commit_callbacks)
    job = the_job(a)
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert job.kind == "import_contacts"
    assert {(e["row"], e["field"]) for e in job.result["errors"]} == {(3, "account"), (4, "email")}
    with a.scope():
        assert Contact.objects.get(external_id="c-1").knowledge_level == "expert"


def test_task_does_not_rerun_a_finished_job(world_a):
    a = world_a
    with a.scope():
        job = Job.objects.create(tenant=a.tenant, kind="import_accounts", total=1, state=Job.State.DONE,
                                 input_text="external_id,name\nzz,Should not exist\n", result={"accepted": 0})
    assert run_csv_import(a.tenant.pk, job.pk) == {"accepted": 0}
    with a.scope():
        assert not CustomerAccount.objects.filter(external_id="zz").exists()


def test_job_of_another_tenant_is_404(worlds):
    a, b = worlds
    with b.scope():
        job = Job.objects.create(tenant=b.tenant, kind="import_accounts", total=1)
    assert a.client_for(a.admin).get(reverse("job-progress", args=[a.tenant.slug, job.pk])).status_code == 404


# --- export -------------------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_account_export_respects_filters(worlds):
    a, b = worlds
    with a.scope():
        AccountFactory(tenant=a.tenant, external_id="churn-1", name="Gone", lifecycle_stage="churned")
    client = a.client_for(a.admin)  # all accounts by default (a CSM lands on "mine")
    url = reverse("account-export", args=[a.tenant.slug])
    rows = read_csv(client.get(url, {"stage": "churned"}))
    assert [r["external_id"] for r in rows] == ["churn-1"]
    assert list(rows[0]) == list(imports.ACCOUNT_IMPORT.columns)
    all_rows = read_csv(client.get(url, {"sort": "-name", "page": "3"}))  # page is ignored: the whole list
    assert [r["name"] for r in all_rows] == ["Gone", "Acme 2", "Acme 1", "Acme 0"]
    assert all_rows[1]["csm_email"] == a.csm.user.email
    assert a.client_for(a.viewer).get(url).status_code == 403


def test_account_export_round_trips_through_import(world_a, django_capture_on_commit_callbacks):
    a = world_a
    client = a.client_for(a.admin)
    with a.scope():
        AccountFactory(tenant=a.tenant, external_id="odd", name='Quote "and", comma', seats=None, arr=Decimal("0.5"),
                       contract_start=None, renewal_date=None, lifecycle_stage="renewal", owner_csm=None)
        original = list(CustomerAccount.objects.order_by("external_id").values())
    exported = client.get(reverse("account-export", args=[a.tenant.slug])).content
    with a.scope():  # damage every row, then let the import restore them
        CustomerAccount.objects.update(name="x", arr=1, seats=1, tier="x", owner_csm=None, lifecycle_stage="mature")
    upload(client, a, "account-import", exported, django_capture_on_commit_callbacks)
    job = the_job(a)
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert (job.result["accepted"], job.result["rejected"]) == (4, 0)
    ignore = {"updated_at"}
    with a.scope():
        restored = list(CustomerAccount.objects.order_by("external_id").values())
    assert [{k: v for k, v in r.items() if k not in ignore} for r in restored] == \
           [{k: v for k, v in r.items() if k not in ignore} for r in original]


def test_contact_export_filters_and_round_trips(world_a, django_capture_on_commit_callbacks):
    a = world_a
    client = a.client_for(a.csm)
    url = reverse("contact-export", args=[a.tenant.slug])
    rows = read_csv(client.get(url, {"account": a.accounts[0].pk}))
    assert [r["external_id"] for r in rows] == ["user-0", "user-3"]
    assert rows[0]["account"] == "acc-0" and list(rows[0]) == list(imports.CONTACT_IMPORT.columns)
    upload(client, a, "contact-import", client.get(url).content, django_capture_on_commit_callbacks)
    job = the_job(a)
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert job.result["duplicates"] == 4 and job.result["accepted"] == 0 and job.result["rejected"] == 0


def test_export_defuses_spreadsheet_formulas_and_the_import_restores_them(world_a, django_capture_on_commit_callbacks):
    a = world_a
    client = a.client_for(a.admin)
    formula = '=HYPERLINK("http://evil.example","click")'
    with a.scope():
        AccountFactory(tenant=a.tenant, external_id="evil", name=formula, domain="@evil.example.com", plan="-plan")
    exported = client.get(reverse("account-export", args=[a.tenant.slug]))
    rows = read_csv(exported)
    evil = next(r for r in rows if r["external_id"] == "evil")
    assert (evil["name"], evil["domain"], evil["plan"]) == ("'" + formula, "'@evil.example.com", "'-plan")
    # Numbers and phone numbers keep their sign: they are not formulas.
    assert spreadsheet_safe("+1 (555) 010-2000") == "+1 (555) 010-2000"
    assert spreadsheet_safe("-12.5") == "-12.5"

    with a.scope():
        CustomerAccount.objects.filter(external_id="evil").update(name="x", domain="x", plan="x")
    upload(client, a, "account-import", exported.content, django_capture_on_commit_callbacks)
    job = the_job(a)
    run_csv_import(a.tenant.pk, job.pk)
    job.refresh_from_db()
    assert job.result["rejected"] == 0, job.result
    with a.scope():
        restored = CustomerAccount.objects.get(external_id="evil")
    assert (restored.name, restored.domain, restored.plan) == (formula, "@evil.example.com", "-plan")


# ----------------------------------------------------- a bad row after the first chunk (issue 10)

BAD_LINE = 230  # a line of the 260-row files below, in their second chunk (CHUNK_SIZE is 200)


def account_file(bad_cells: str) -> str:
    """260 data rows; file line ``BAD_LINE`` gets ``bad_cells`` as its seats cell."""
    rows = [f"bulk-{line},Bulk {line},{bad_cells if line == BAD_LINE else 5}" for line in range(2, 262)]
    return "external_id,name,seats\n" + "\n".join(rows) + "\n"


def contact_file(email_of_bad_line: str) -> str:
    rows = [f"pc-{line},acc-1,{email_of_bad_line if line == BAD_LINE else f'p{line}@example.com'},P {line}"
            for line in range(2, 262)]
    return "external_id,account,email,name\n" + "\n".join(rows) + "\n"


def run_uploaded(world, name: str, text: str, capture) -> tuple[Job, str]:
    client = world.client_for(world.csm)
    upload(client, world, name, text, capture)
    job = the_job(world)
    run_csv_import(world.tenant.pk, job.pk)
    job.refresh_from_db()
    page = client.get(reverse("job-progress", args=[world.tenant.slug, job.pk])).content.decode()
    return job, page


def assert_only_the_bad_line_refused(job: Job, page: str, field: str) -> None:
    assert job.state == "done" and job.done == job.total == 260
    assert "failure" not in job.result
    assert [(e["row"], e["field"]) for e in job.result["errors"]] == [(BAD_LINE, field)]
    assert (job.result["accepted"], job.result["rejected"]) == (259, 1)
    assert 'id="import-errors"' in page and "The import stopped" not in page
    for raw in ("DataError", "IntegrityError", "duplicate key", "out of range for type", "violates"):
        assert raw not in page


def test_out_of_range_number_in_the_second_chunk_refuses_that_row_only(world_a, django_capture_on_commit_callbacks):
    a = world_a
    job, page = run_uploaded(a, "account-import", account_file("2147483648"), django_capture_on_commit_callbacks)
    assert_only_the_bad_line_refused(job, page, "seats")
    assert "less than or equal to 2147483647" in page
    with a.scope():
        written = set(CustomerAccount.objects.filter(external_id__startswith="bulk-")
                      .values_list("external_id", flat=True))
    assert written == {f"bulk-{line}" for line in range(2, 262)} - {f"bulk-{BAD_LINE}"}


def test_duplicate_email_in_the_second_chunk_refuses_that_row_only(world_a, django_capture_on_commit_callbacks):
    a = world_a
    job, page = run_uploaded(a, "contact-import", contact_file("P10@Example.com"), django_capture_on_commit_callbacks)
    assert_only_the_bad_line_refused(job, page, "email")
    with a.scope():
        written = set(Contact.objects.filter(external_id__startswith="pc-").values_list("external_id", flat=True))
        assert Contact.objects.get(external_id="pc-10").email == "p10@example.com"
    assert written == {f"pc-{line}" for line in range(2, 262)} - {f"pc-{BAD_LINE}"}


def test_email_taken_meanwhile_by_another_writer_is_a_row_error_not_a_raw_sql_error(
        world_a, django_capture_on_commit_callbacks):
    """Between the upsert's email check and its write, another request (a ticket, a page) creates a contact
    with the email of line 230: PostgreSQL's unique constraint refuses the chunk (IntegrityError). The chunk
    is redone row by row: line 230 is reported, every other row of it is written."""
    from accounts.services import contacts as contact_services

    a = world_a
    real_write = contact_services._write

    def racing_write(model, tenant, prepared, fields, result):
        # The import's savepoints also roll this simulated writer's row back (a real one would have
        # committed), so it writes again before every try that includes line 230.
        if any(v["external_id"] == f"pc-{BAD_LINE}" for v in prepared.values()):
            with a.scope():
                Contact.objects.create(tenant=tenant, account=a.accounts[0], external_id="meanwhile",
                                       email=f"p{BAD_LINE}@example.com")
        return real_write(model, tenant, prepared, fields, result)

    with mock.patch.object(contact_services, "_write", racing_write):
        job, page = run_uploaded(a, "contact-import", contact_file(f"p{BAD_LINE}@example.com"),
                                 django_capture_on_commit_callbacks)
    assert_only_the_bad_line_refused(job, page, "email")
    assert "another contact has this email" in page
    with a.scope():
        written = set(Contact.objects.filter(external_id__startswith="pc-").values_list("external_id", flat=True))
    assert written == {f"pc-{line}" for line in range(2, 262)} - {f"pc-{BAD_LINE}"}


def test_a_value_postgresql_refuses_is_a_row_error_and_the_other_rows_are_written(world_a):
    """A value that passes validation but not its column (a rule drifting from the schema) is a real
    DataError from PostgreSQL: the chunk is redone row by row, and the row reads as a row error."""
    a = world_a
    with a.scope():
        job = Job.objects.create(tenant=a.tenant, kind="import_accounts", total=260, input_text=account_file("5"))
    real_upsert = imports.upsert_accounts

    def drifting(*, tenant, items):
        if any(i["external_id"] == f"bulk-{BAD_LINE}" for i in items):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 2147483648::int4")  # the error an unbounded seats gave
        return real_upsert(tenant=tenant, items=items)

    kinds = {"import_accounts": dataclasses.replace(imports.ACCOUNT_IMPORT, upsert=drifting)}
    with a.scope(), mock.patch.object(imports, "IMPORT_KINDS", kinds):
        imports.run_import(tenant=a.tenant, job=job)
    job.refresh_from_db()
    assert job.state == "done" and job.result["accepted"] == 259
    assert job.result["errors"] == [{"row": BAD_LINE, "field": "",
                                     "message": "a value does not fit its column (a number or text too large)"}]
    with a.scope():
        assert CustomerAccount.objects.filter(external_id__startswith="bulk-").count() == 259
