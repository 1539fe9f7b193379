"""CSV import and export of accounts and contacts.

An import is a :class:`~accounts.models.Job`: the upload is validated for shape (columns) in the
request, stored on the job, and the rows are processed by a Celery task in chunks through the same
bulk upserts as the API, so a CSV accepts exactly what the API accepts. ``job.done`` moves after
each chunk so the progress page can follow it.

Bad rows are reported per row, and exactly the valid rows are written (as the API's bulk endpoints
do; issue 10 chose this over "all or nothing" so that one bad line in a 50,000-line file does not
refuse the other 49,999). Validation (types, ranges, lengths, choices, unknown accounts, taken emails)
rejects a row before anything of its chunk is written. What only PostgreSQL can tell (an email or
external id taken by another request between the check and the write) rolls the chunk back (one
savepoint per chunk); the chunk is then redone one row per savepoint, so the row that conflicts is
reported with its line and field and every other row is written. No row is ever half-written, and no
raw SQL error reaches the job page: a failure the import did not foresee stops the job with a generic
message (logged in full), the chunks before it written.

The export writes the import's columns, so an exported file re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import QuerySet

from accounts import selectors
from accounts.models import Job, KnowledgeLevel, LifecycleStage, Tenant
from accounts.services.contacts import upsert_contacts
from accounts.services.customers import upsert_accounts
from cs_platform.bulk import BulkResult
from cs_platform.web.pages import csv_text, from_spreadsheet_safe

logger = logging.getLogger(__name__)

CHUNK_SIZE = 200
MAX_REPORTED_ERRORS = 1000  # keeps job.result bounded; the count of the rest is still reported


@dataclass(frozen=True)
class ImportKind:
    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    upsert: Callable[..., BulkResult]
    # Columns whose empty cell means "leave as is / default" rather than "no value": they are
    # choice fields, for which an empty string is not a valid value.
    drop_if_empty: tuple[str, ...]
    label: str


ACCOUNT_IMPORT = ImportKind(
    kind="import_accounts", columns=selectors.ACCOUNT_CSV_COLUMNS, required=("external_id", "name"),
    upsert=upsert_accounts, drop_if_empty=("lifecycle_stage",), label="accounts",
)
CONTACT_IMPORT = ImportKind(
    kind="import_contacts", columns=selectors.CONTACT_CSV_COLUMNS, required=("external_id", "account"),
    upsert=upsert_contacts, drop_if_empty=("knowledge_level",), label="contacts",
)
IMPORT_KINDS = {k.kind: k for k in (ACCOUNT_IMPORT, CONTACT_IMPORT)}

# Documented next to the upload form.
CHOICE_HELP = {
    "lifecycle_stage": ", ".join(LifecycleStage.values),
    "knowledge_level": ", ".join(KnowledgeLevel.values),
}


def start_import(*, tenant: Tenant, kind: ImportKind, text: str, total: int,
                 user: AbstractBaseUser | None) -> Job:
    """Store the upload as a queued job and enqueue its processing once the job row is committed."""
    from accounts.tasks import run_csv_import

    with transaction.atomic():
        job = Job.objects.create(tenant=tenant, kind=kind.kind, input_text=text, total=total,
                                 created_by=user if user and user.is_authenticated else None)
        tenant_id, job_id = tenant.pk, job.pk
        transaction.on_commit(lambda: run_csv_import.delay(tenant_id, job_id))
    return job


@dataclass(frozen=True)
class CsvRow:
    line: int  # line of the CSV file where the record starts (the header is line 1)
    values: dict[str, str] | None
    error: str = ""


def iter_csv_rows(text: str) -> Iterator[CsvRow]:
    """Data rows with their line numbers; blank rows are skipped, as the upload form counted them."""
    reader = csv.reader(io.StringIO(text))
    header = [c.strip() for c in next(reader, [])]
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield CsvRow(start, None, f"this row has {len(cells)} cells; the header has {len(header)}")
            continue
        yield CsvRow(start, dict(zip(header, map(from_spreadsheet_safe, cells), strict=True)))


def _chunks(rows: Iterable[CsvRow], size: int) -> Iterator[list[CsvRow]]:
    chunk: list[CsvRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class ImportReport:
    """Accumulates the chunks' results into the shape stored in ``job.result``."""

    def __init__(self) -> None:
        self.accepted = self.duplicates = self.created = self.updated = self.rejected_rows = 0
        self.errors: list[dict[str, Any]] = []
        self.errors_not_shown = 0

    def error(self, line: int, field: str | None, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"row": line, "field": field or "", "message": message})
        else:
            self.errors_not_shown += 1

    def add(self, result: BulkResult, lines: list[int]) -> None:
        self.accepted += result.accepted
        self.duplicates += result.duplicates
        self.created += result.created
        self.updated += result.updated
        for rejected in sorted(result.rejected, key=lambda r: r["index"]):
            self.rejected_rows += 1
            for err in rejected["errors"]:
                self.error(lines[rejected["index"]], err.get("field"), err.get("message", ""))

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "created": self.created,
                "updated": self.updated, "rejected": self.rejected_rows, "errors": self.errors,
                "errors_not_shown": self.errors_not_shown}


def run_import(*, tenant: Tenant, job: Job, chunk_size: int = CHUNK_SIZE) -> Job:
    """Process a queued import job. Re-running it (a redelivered task) redoes the upserts, which
    are idempotent by external id, so it only recounts."""
    kind = IMPORT_KINDS[job.kind]
    job.state, job.done, job.result = Job.State.RUNNING, 0, {}
    job.save(update_fields=["state", "done", "result", "updated_at"])
    report = ImportReport()
    try:
        for chunk in _chunks(iter_csv_rows(job.input_text), chunk_size):
            items, lines = [], []
            for row in chunk:
                if row.values is None:
                    report.rejected_rows += 1
                    report.error(row.line, None, row.error)
                    continue
                items.append({k: v for k, v in row.values.items() if not (k in kind.drop_if_empty and not v.strip())})
                lines.append(row.line)
            if items:
                _upsert_chunk(kind, tenant, items, lines, report)
            job.done += len(chunk)
            job.result = report.as_dict()
            job.save(update_fields=["done", "result", "updated_at"])
    except Exception:
        logger.exception("CSV import job %s of tenant %s stopped", job.pk, tenant.pk)
        job.state = Job.State.FAILED
        job.result = {**report.as_dict(), "failure": "an unexpected error (logged for the operators)"}
        job.save(update_fields=["state", "result", "updated_at"])
        raise
    job.state, job.done, job.result = Job.State.DONE, job.total, report.as_dict()
    job.save(update_fields=["state", "done", "result", "updated_at"])
    return job


def _upsert_chunk(kind: ImportKind, tenant: Tenant, items: list[dict], lines: list[int],
                  report: ImportReport) -> None:
    """One chunk in one savepoint; if PostgreSQL refuses it, the same rows one savepoint each."""
    try:
        with transaction.atomic():
            result = kind.upsert(tenant=tenant, items=items)
    except DatabaseError:
        pass
    else:
        report.add(result, lines)
        return
    for item, line in zip(items, lines, strict=True):
        try:
            with transaction.atomic():
                result = kind.upsert(tenant=tenant, items=[item])
        except (IntegrityError, DataError) as exc:
            report.rejected_rows += 1
            report.error(line, *database_refusal(exc))
        else:
            report.add(result, [line])


# Constraint name suffix -> (field, message): what a unique constraint refusing a row means to the uploader.
CONSTRAINT_MESSAGES = {
    "_unique_email": ("email", "another contact has this email (saved while the import ran)"),
    "_unique_external_id": ("external_id", "another record with this external_id was saved while the import ran"),
}


def database_refusal(exc: DatabaseError) -> tuple[str | None, str]:
    """A refused row's (field, message), without PostgreSQL's text (which quotes SQL and values)."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
    for suffix, answer in CONSTRAINT_MESSAGES.items():
        if constraint.endswith(suffix):
            return answer
    if isinstance(exc, DataError):
        return None, "a value does not fit its column (a number or text too large)"
    return None, f"this row conflicts with stored data ({constraint or 'a database constraint'})"


def export_accounts(accounts: QuerySet) -> str:
    return csv_text(selectors.ACCOUNT_CSV_COLUMNS, selectors.account_export_rows(accounts))


def export_contacts(contacts: QuerySet) -> str:
    return csv_text(selectors.CONTACT_CSV_COLUMNS, selectors.contact_export_rows(contacts))
