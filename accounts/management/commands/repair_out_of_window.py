"""``manage.py repair_out_of_window``: find, and with ``--apply`` repair, the rows stored outside the
accepted window before the bounds fix (issue 10; ``cs_platform/bounds.py``).

Columns: every ``DateTimeField`` / ``DateField`` of every tenant-owned model (window 2000-01-01Z to
now + 3653 days; dates 2000-01-01 to today + 3653 days) and every ``FloatField`` (-INT4_MAX..INT4_MAX,
``NaN`` and infinities included), discovered from the models (``accounts.services.repairs``), so new
models are covered. Integer and decimal columns need nothing: PostgreSQL never stored a value past
their range.

Product decision:
- Default: a dry run. It prints, per tenant, table and column, how many rows are outside and their ids,
  and changes nothing.
- ``--apply``: a nullable column's value becomes NULL ("unknown", which is what such a value meant); a
  required one is clamped to the nearest edge of the window, which keeps the record and its history and
  makes every read of it work again (a timestamp in year 9999 broke every page that shifts it into a
  tenant's time zone: the inbox and ticket pages answered 500). Each tenant is repaired in one
  transaction, inside its tenant scope, through the models' scoped managers (row-level security shows
  a query outside a scope nothing); what changed is printed. A tenant whose repair fails (a unique
  constraint refusing a clamped value) is rolled back whole, reported, and the command exits non-zero.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone
from tqdm import tqdm

from accounts.services.repairs import ColumnReport, repair_tenant, tenants, window_columns

SHOWN_IDS = 20


def _ids(report: ColumnReport) -> str:
    ids = report.ids
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    return ", ".join(map(str, ids[:SHOWN_IDS])) + more


class Command(BaseCommand):
    help = ("Report (default: dry run) or repair (--apply) rows whose times, dates or float numbers are outside "
            "the accepted window: nullable -> NULL, required -> clamped to the nearest edge.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="repair (default: only report)")
        parser.add_argument("--tenant", help="only this tenant (slug)")

    def handle(self, *args, apply: bool, tenant: str | None, verbosity: int = 1, **options) -> None:
        columns = window_columns()
        found = list(tenants(tenant))
        if tenant and not found:
            raise CommandError(f"no tenant with slug {tenant!r}")
        now = timezone.now()
        failed, total = [], 0
        with tqdm(total=len(found) * len(columns), desc="repair_out_of_window", unit="column", file=sys.stderr,
                  disable=verbosity == 0) as progress:
            for t in found:
                try:
                    reports = repair_tenant(tenant=t, columns=columns, apply=apply, now=now, progress=progress)
                except DatabaseError as exc:
                    failed.append(t.slug)
                    self.stderr.write(f"{t.slug}: not repaired, rolled back: {exc}")
                    continue
                for r in reports:
                    total += len(r.ids)
                    what = f": {r.action}" if apply else ""
                    self.stdout.write(f"{r.tenant} {r.column.label}: {len(r.ids)} outside "
                                      f"({len(r.below)} before, {len(r.above)} after; ids {_ids(r)}){what}")
        verb = "repaired" if apply else "outside the window (dry run: nothing changed; --apply repairs)"
        self.stdout.write(f"{total} value(s) {verb}.")
        if failed:
            raise CommandError(f"not repaired: {', '.join(failed)}")
