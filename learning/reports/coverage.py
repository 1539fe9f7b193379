"""Training coverage per account (METRICS.md "Learning", "trained coverage"): per persona, trained contacts of
that persona / known contacts of that persona, and the flag of an account with no trained admin.

Personas are free text from CRMs and CSVs, so they are grouped folded (``lower(btrim(persona))``, as
learning.targeting compares them); a blank persona is its own group ("no persona"). "Trained" is
learning.reports.selectors' definition: at least one completed enrollment, ever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from learning.reports.selectors import rows_of

if TYPE_CHECKING:
    from accounts.models import CustomerAccount, Tenant

ADMIN_PERSONA = "admin"

DEFINITIONS = {
    "persona_coverage": "Per persona: trained contacts of that persona / known contacts of that persona "
                        "(METRICS.md). Trained = completed at least one learning path. Personas are compared "
                        "folded (case and surrounding spaces ignored).",
    "no_trained_admin": "Flagged when no contact of the account with the persona “admin” (folded) has completed "
                        "a learning path, whether or not an admin is known.",
    "trained_admins": "Contacts of the account with the persona “admin” (folded) who completed at least one "
                      "learning path; “none” flags an account with no trained admin.",
}

_PERSONA_COVERAGE = """
    SELECT lower(btrim(c.persona)) AS persona, COUNT(*) AS known,
           COUNT(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM learning_enrollment e
               WHERE e.tenant_id = c.tenant_id AND e.contact_id = c.id AND e.completed_at IS NOT NULL)) AS trained
    FROM accounts_contact c
    WHERE c.tenant_id = %(tenant)s AND c.account_id = %(account)s
    GROUP BY 1 ORDER BY 1
"""


def persona_coverage(*, tenant: Tenant, account: CustomerAccount) -> dict[str, Any]:
    """``rows`` (``persona``, ``known``, ``trained``, ``coverage``) by persona, ``trained``, ``seats``,
    ``seat_coverage`` (trained / seats, None without seats) and ``no_trained_admin``. One query."""
    rows = [{**r, "coverage": r["trained"] / r["known"]}
            for r in rows_of(_PERSONA_COVERAGE, {"tenant": tenant.pk, "account": account.pk})]
    trained = sum(r["trained"] for r in rows)
    admins = next((r["trained"] for r in rows if r["persona"] == ADMIN_PERSONA), 0)
    return {"rows": rows, "trained": trained, "known": sum(r["known"] for r in rows), "seats": account.seats,
            "seat_coverage": trained / account.seats if account.seats else None, "no_trained_admin": admins == 0}


_TRAINED_ADMINS = """
    SELECT c.account_id, COUNT(*) AS trained_admins
    FROM accounts_contact c
    WHERE c.tenant_id = %(tenant)s AND c.account_id = ANY(%(accounts)s) AND lower(btrim(c.persona)) = %(admin)s
          AND EXISTS (SELECT 1 FROM learning_enrollment e
                      WHERE e.tenant_id = c.tenant_id AND e.contact_id = c.id AND e.completed_at IS NOT NULL)
    GROUP BY c.account_id
"""


def trained_admins_by_account(*, tenant: Tenant, account_ids: Sequence[int], now: dt.datetime) -> dict[int, str]:
    """The account list's column: each account's trained admins, "none" when there are none (the flag). One
    query for the whole page."""
    counts = {r["account_id"]: r["trained_admins"] for r in rows_of(
        _TRAINED_ADMINS, {"tenant": tenant.pk, "accounts": list(account_ids), "admin": ADMIN_PERSONA})}
    return {pk: str(counts[pk]) if counts.get(pk) else "none" for pk in account_ids}
