"""Issue 10, "proof in CI": the CSV import of accounts and contacts, fuzzed with Hypothesis.

Each example is a generated file: a random choice and order of the allowed columns (the required ones
always), rows that are good (plausible, sometimes formula-looking or non-ASCII values) mixed with rows
that carry exactly one bad cell (huge or Unicode numbers, dates outside the window, unknown choices,
ids with "/", unknown accounts, taken emails) and rows repeating an earlier row's id. It is uploaded
through the import page and run by the task function, in a savepoint rolled back afterwards. Then:
no 5xx; the job's report names exactly the bad rows, by line; exactly the good rows are written; the
list, detail and export pages render what was written. A file with a NUL byte is refused whole by the
form, and no job or row is created.
"""

from __future__ import annotations

import csv
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.models import Contact, CustomerAccount, Job
from accounts.tasks import run_csv_import
from tests.fuzz.formfuzz import fingerprint, rolled_back

pytestmark = pytest.mark.django_db

SETTINGS = settings(max_examples=int(os.environ.get("CSV_FUZZ_EXAMPLES", "12")), deadline=None, derandomize=True,
                    database=None,
                    phases=(Phase.explicit, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

NAMES = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=30),
    st.sampled_from(["=1+1", "+SUM(A1)", "-2", "@cmd", "Zoë Ünïcode", "名前", "a,b", 'say "hi"']),
).filter(lambda s: s.strip() != "")

# column -> (plausible values, values the import must refuse)
ACCOUNT_CELLS = {
    "domain": (st.sampled_from(["", "acme.example.com"]), st.just("x" * 300)),
    "plan": (st.sampled_from(["", "growth", "pro"]), st.just("p" * 300)),
    "tier": (st.sampled_from(["", "premium", "Standard"]), st.just("t" * 300)),
    "arr": (st.sampled_from(["", "0", "1200.50", "99999"]),
            st.sampled_from(["lots", "NaN", "inf", "9" * 40, "1e309", "١٢"])),
    "seats": (st.sampled_from(["", "0", "25", "1000"]),
              st.sampled_from(["9" * 30, str(2**31), "٣", "1.5", "-1", "²"])),
    "contract_start": (st.sampled_from(["", "2020-01-01", "2026-06-30"]),
                       st.sampled_from(["9999-12-31", "1999-12-31", "2026-02-30", "٢٠٢٦-01-01", "soon"])),
    "renewal_date": (st.sampled_from(["", "2030-01-01"]),
                     st.sampled_from(["9999-12-31", "0001-01-01", "2026-13-01", "tomorrow"])),
    "lifecycle_stage": (st.sampled_from(["", "onboarding", "mature"]), st.sampled_from(["zombie", "ONBOARDING?"])),
    "csm_email": (st.just(""), st.sampled_from(["nobody@nowhere.example", "not an email"])),
}
CONTACT_CELLS = {
    "email": (st.just(""), st.sampled_from(["not-an-email", "user0@acme0.example.com", "a@" + "b" * 300])),
    "phone": (st.sampled_from(["", "+1 555 0100"]), st.sampled_from(["x" * 100, "call me"])),
    "name": (NAMES, st.just("n" * 1000)),
    "persona": (st.sampled_from(["", "admin", "end_user"]), st.just("p" * 300)),
    "knowledge_level": (st.sampled_from(["", "beginner", "expert"]), st.sampled_from(["guru", "EXPERT!"])),
}
BAD_IDS = st.sampled_from(["a/b", "bulk", "x" * 300, " "])


@st.composite
def csv_files(draw, *, kind: str):
    """(text, good external ids -> their row, bad lines)"""
    cells = ACCOUNT_CELLS if kind == "accounts" else CONTACT_CELLS
    required = ["external_id", "name"] if kind == "accounts" else ["external_id", "account"]
    optional = draw(st.lists(st.sampled_from(sorted(cells)), unique=True, max_size=len(cells)))
    columns = draw(st.permutations(required + [c for c in optional if c not in required]))
    rows, good, bad_lines = [], {}, set()
    for index in range(draw(st.integers(min_value=1, max_value=12))):
        line = index + 2  # the header is line 1
        row = {c: draw(cells[c][0]) if c in cells else "" for c in columns}
        row["external_id"] = f"fz-{index}"
        if "name" in columns:
            row["name"] = draw(NAMES)
        if kind == "contacts":
            row["account"] = draw(st.sampled_from(["acc-0", "acc-1", "acc-2"]))
        what = draw(st.sampled_from(["good", "good", "bad", "duplicate"]))
        if what == "duplicate" and good:
            row["external_id"] = draw(st.sampled_from(sorted(good)))
            bad_lines.add(line)
        elif what == "bad":
            column = draw(st.sampled_from(columns))
            if column == "external_id":
                row[column] = draw(BAD_IDS)
            elif column == "account":
                row[column] = "no-such-account"
            elif column == "name" and kind == "accounts":
                row[column] = draw(st.sampled_from(["", "n" * 1000]))
            else:
                row[column] = draw(cells[column][1])
            bad_lines.add(line)
        else:
            good[row["external_id"]] = row
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), good, bad_lines


def _import(world, kind: str, text: str, capture):
    name = "account-import" if kind == "accounts" else "contact-import"
    client = world.client_for(world.admin)
    with capture(execute=False):  # the task is run here, not enqueued
        response = client.post(reverse(name, args=[world.tenant.slug]),
                               {"file": SimpleUploadedFile("data.csv", text.encode(), content_type="text/csv")})
    assert response.status_code < 500
    return client, response


def _check(world, kind: str, generated, capture) -> None:
    text, good, bad_lines = generated
    with rolled_back():
        client, response = _import(world, kind, text, capture)
        assert response.status_code == 302, response.content.decode()[:2000]
        with world.scope():
            job = Job.objects.get()
        run_csv_import(world.tenant.pk, job.pk)
        job.refresh_from_db()
        assert job.state == Job.State.DONE, job.result
        reported = {e["row"] for e in job.result["errors"]}
        assert reported == bad_lines, (job.result["errors"], text)
        assert job.result["rejected"] == len(bad_lines)
        model = CustomerAccount if kind == "accounts" else Contact
        with world.scope():
            written = {o.external_id: o for o in model.objects.filter(external_id__startswith="fz-")}
        assert set(written) == set(good), text
        for external_id, row in good.items():
            if "name" in row:
                assert written[external_id].name == row["name"].strip() or written[external_id].name == row["name"]
        slug = world.tenant.slug
        detail = "account-detail" if kind == "accounts" else "contact-detail"
        pages = [reverse("account-list", args=[slug]), reverse("account-export", args=[slug]),
                 reverse("contact-list", args=[slug]), reverse("contact-export", args=[slug]),
                 reverse("job-progress", args=[slug, job.pk])]
        pages += [reverse(detail, args=[slug, o.pk]) for o in written.values()]
        for url in pages:
            page = client.get(url)
            assert page.status_code == 200, url
            if page.streaming:
                b"".join(page.streaming_content)


@pytest.mark.parametrize("kind", ["accounts", "contacts"])
def test_generated_csv_imports_write_exactly_the_valid_rows(kind, world_a, django_capture_on_commit_callbacks):
    @SETTINGS
    @given(generated=csv_files(kind=kind))
    def example(generated) -> None:
        _check(world_a, kind, generated, django_capture_on_commit_callbacks)

    example()


@SETTINGS
@given(kind=st.sampled_from(["accounts", "contacts"]), at=st.integers(min_value=0, max_value=40))
def test_a_nul_byte_refuses_the_whole_file(world_a, django_capture_on_commit_callbacks, kind, at):
    header = "external_id,name\n" if kind == "accounts" else "external_id,account\n"
    body = "fz-1,acc-0\nfz-2,acc-1\nfz-3,acc-2\n"
    text = header + body[:at % len(body)] + "\x00" + body[at % len(body):]
    with rolled_back():
        with world_a.scope():
            before = fingerprint()
        _client, response = _import(world_a, kind, text, django_capture_on_commit_callbacks)
        assert response.status_code == 200 and "NUL character" in response.content.decode()
        with world_a.scope():
            assert fingerprint() == before
