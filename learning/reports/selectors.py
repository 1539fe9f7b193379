"""The CSM's learning figures (METRICS.md "Learning"): per path over a period, the drop-off by step, and the
trained users of the tenant. Set-based SQL: every figure is aggregated in the database (grouped counts,
``percentile_cont``), whatever the number of enrollments; Python only renames the few rows.

:func:`path_figures` is the ONE selector behind the overview (every path) and the per-path report (one path),
so they cannot disagree. Decisions, where METRICS.md leaves room (the README repeats them):

- **Period and cohort.** ``start`` / ``end`` are tenant-local dates (``end`` exclusive), turned into UTC
  instants with the tenant's zone, like the survey and support reports. Every figure of a path is over its
  *cohort*: the enrollments created (``enrolled_at``) in the period. ``started``, ``completed`` and the time
  to complete are what that cohort did, whenever it did it (a learner enrolled on 31 January who completes on
  2 February counts as completed for January), so completion rate = completed / enrolled is a true share.
- **Withdrawn enrollments count as enrolled.** METRICS.md says "enrollments created"; a withdrawn one was
  created (and offered) before re-targeting withdrew it, so it stays in ``enrolled`` and in the rate's
  denominator. ``by_status`` lists them (``withdrawn``) so a reader can take them out. A re-enrolled
  enrollment is the same row with a new ``enrolled_at`` (learning.services.reevaluate): it counts in the
  period it came back in.
- **Started** = the cohort's enrollments with at least one step done (a ``StepProgress`` row), or completed
  (an external LMS may complete a path without any step: the funnel must not shrink from started to
  completed). Opening the portal without doing a step is not starting.
- **Completed** = ``completed_at`` set: the progress service sets it when every required step is done, the
  external-LMS completion when it records one.
- **Time to complete** = ``completed_at - enrolled_at`` in seconds over the cohort's completed enrollments:
  count, mean, median and p90, the percentiles by ``percentile_cont`` (linear interpolation between the
  closest ranks: the median of 1, 2, 3, 4 is 2.5; the p90 of 1, 2, 3, 4, 10 is 7.6). ``None`` without one.
- **Drop-off by step** (:func:`step_dropoff`), over the cohort minus withdrawn enrollments (a withdrawn
  learner did not leave the path, targeting took it away; they never did a step anyway). Each enrollment is
  judged on the steps of *its own* version. An enrollment **reached** a step when it did the step, or did a
  later step of its version, or did every *required* step before it (so the first step is reached by every
  enrollment, and an optional step does not hold anyone back). Drop-off at a step = enrollments that
  reached it and did not do it; an enrollment may drop off at several steps (optional ones it skipped) and
  a completed enrollment counts at the optional steps it skipped. Rows are **by step key** (``Step.key`` is
  stable across versions), so learners of older versions count with the current version's same step: the
  current version's steps in its order, then keys only older versions have ("not in the current version").
- **Trained users** (:func:`trained_contacts_by_account`, the seat funnel's "trained" step): distinct
  contacts with at least one completed enrollment, ever (the funnel is "as of today", not per period), per
  the contact's current account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count

from accounts.access import fetch_one
from learning.models import Enrollment, EnrollmentStatus, LearningPath, Step
from support.reports.periods import local_start

if TYPE_CHECKING:
    from accounts.models import Tenant


def report_paths(*, tenant: Tenant) -> list[LearningPath]:
    """The paths of the overview, in the learner's order (priority, then name)."""
    return list(LearningPath.objects.filter(tenant=tenant).order_by("priority", "name", "pk"))


def get_report_path(*, tenant: Tenant, pk: int) -> LearningPath:
    """This tenant's path, or 404 (another tenant's is "no such path", like a missing one)."""
    return fetch_one(LearningPath.objects.filter(tenant=tenant), "learning path", pk=pk)


def rows_of(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _bounds(tenant: Tenant, start: dt.date, end: dt.date) -> dict[str, Any]:
    return {"tenant": tenant.pk, "lo": local_start(start, tenant.zone), "hi": local_start(end, tenant.zone)}


# One row per path with a cohort in the period. ``started`` tests a StepProgress row per enrollment through
# its (tenant, enrollment, step) unique index; ``completed`` and the durations use the row's own columns.
_PATH_FIGURES = """
    WITH cohort AS (
        SELECT e.id, e.path_id, e.status, e.enrolled_at, e.completed_at,
               e.completed_at IS NOT NULL AS is_completed,
               (e.completed_at IS NOT NULL OR EXISTS (
                    SELECT 1 FROM learning_stepprogress sp
                    WHERE sp.tenant_id = e.tenant_id AND sp.enrollment_id = e.id)) AS is_started,
               EXTRACT(EPOCH FROM e.completed_at - e.enrolled_at)::float8 AS seconds
        FROM learning_enrollment e
        WHERE e.tenant_id = %(tenant)s AND e.enrolled_at >= %(lo)s AND e.enrolled_at < %(hi)s
              {path_filter}
    )
    SELECT path_id,
           COUNT(*) AS enrolled,
           COUNT(*) FILTER (WHERE is_started) AS started,
           COUNT(*) FILTER (WHERE is_completed) AS completed,
           COUNT(*) FILTER (WHERE status = 'enrolled') AS status_enrolled,
           COUNT(*) FILTER (WHERE status = 'started') AS status_started,
           COUNT(*) FILTER (WHERE status = 'completed') AS status_completed,
           COUNT(*) FILTER (WHERE status = 'withdrawn') AS status_withdrawn,
           COUNT(seconds) AS ttc_n,
           AVG(seconds) AS ttc_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS ttc_median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY seconds) AS ttc_p90
    FROM cohort
    GROUP BY path_id
"""


def _empty_figures() -> dict[str, Any]:
    return {"enrolled": 0, "started": 0, "completed": 0, "completion_rate": None,
            "by_status": {s: 0 for s in EnrollmentStatus.values},
            "time_to_complete": {"n": 0, "mean": None, "median": None, "p90": None}}


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {"enrolled": row["enrolled"], "started": row["started"], "completed": row["completed"],
            "completion_rate": row["completed"] / row["enrolled"] if row["enrolled"] else None,
            "by_status": {s: row[f"status_{s}"] for s in EnrollmentStatus.values},
            "time_to_complete": {"n": row["ttc_n"], "mean": row["ttc_mean"], "median": row["ttc_median"],
                                 "p90": row["ttc_p90"]}}


def path_figures(*, tenant: Tenant, start: dt.date, end: dt.date,
                 path_ids: Sequence[int] | None = None) -> dict[int, dict[str, Any]]:
    """Per path (all of the tenant's, or ``path_ids``): ``enrolled``, ``started``, ``completed``,
    ``completion_rate`` (None without enrollments), ``by_status`` (every status, zeros included) and
    ``time_to_complete`` (``n``, ``mean``, ``median``, ``p90`` in seconds), over the cohort enrolled in
    ``[start, end)``. One query; a path without a cohort answers zeros."""
    params = _bounds(tenant, start, end)
    path_filter = ""
    if path_ids is not None:
        path_filter, params["paths"] = "AND e.path_id = ANY(%(paths)s)", list(path_ids)
    rows = {r["path_id"]: r for r in rows_of(_PATH_FIGURES.format(path_filter=path_filter), params)}
    wanted = path_ids if path_ids is not None else list(rows)
    return {pk: _figures(rows[pk]) if pk in rows else _empty_figures() for pk in wanted}


# Per (cohort enrollment, step of its version): did it, reached it. ``later`` / ``missing`` look at the
# enrollment's progress on the other steps of the same version.
_STEP_DROPOFF = """
    WITH cohort AS (
        SELECT e.id, e.version_id FROM learning_enrollment e
        WHERE e.tenant_id = %(tenant)s AND e.path_id = %(path)s AND e.status <> 'withdrawn'
              AND e.enrolled_at >= %(lo)s AND e.enrolled_at < %(hi)s
    ),
    steps AS (
        SELECT s.id, s.version_id, s.position, s.key, s.is_required FROM learning_step s
        WHERE s.tenant_id = %(tenant)s AND s.version_id IN (SELECT DISTINCT version_id FROM cohort)
    ),
    done AS (
        SELECT sp.enrollment_id, sp.step_id, st.position, st.is_required
        FROM learning_stepprogress sp JOIN steps st ON st.id = sp.step_id
        WHERE sp.tenant_id = %(tenant)s AND sp.enrollment_id IN (SELECT id FROM cohort)
    ),
    per AS (
        SELECT s.key,
               EXISTS (SELECT 1 FROM done d WHERE d.enrollment_id = c.id AND d.step_id = s.id) AS did,
               EXISTS (SELECT 1 FROM done d WHERE d.enrollment_id = c.id AND d.position > s.position) AS later,
               (SELECT COUNT(*) FROM steps r WHERE r.version_id = s.version_id AND r.position < s.position
                       AND r.is_required)
               = (SELECT COUNT(*) FROM done d WHERE d.enrollment_id = c.id AND d.position < s.position
                         AND d.is_required) AS before_done
        FROM cohort c JOIN steps s ON s.version_id = c.version_id
    )
    SELECT key,
           COUNT(*) FILTER (WHERE did OR later OR before_done) AS reached,
           COUNT(*) FILTER (WHERE did) AS done,
           COUNT(*) FILTER (WHERE NOT did AND (later OR before_done)) AS dropped
    FROM per GROUP BY key
"""


def step_dropoff(*, tenant: Tenant, path: LearningPath, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per step key (see "Drop-off by step" above): ``key``, ``title``, ``position`` (in the current version;
    None for a key only older versions have), ``is_required``, ``reached``, ``done``, ``dropped`` and
    ``dropoff_rate`` (dropped / reached, None when nobody reached it). Two queries."""
    counts = {r["key"]: r for r in rows_of(_STEP_DROPOFF, {**_bounds(tenant, start, end), "path": path.pk})}
    current = list(Step.objects.filter(tenant=tenant, version_id=path.current_version_id)
                   .order_by("position").values("key", "title", "position", "is_required"))
    known = {s["key"] for s in current}
    older = [{"key": k, "title": k, "position": None, "is_required": None} for k in sorted(set(counts) - known)]
    rows = []
    for step in [*current, *older]:
        c = counts.get(step["key"], {"reached": 0, "done": 0, "dropped": 0})
        rows.append({**step, "reached": c["reached"], "done": c["done"], "dropped": c["dropped"],
                     "dropoff_rate": c["dropped"] / c["reached"] if c["reached"] else None})
    return rows


_TRAINED_BY_ACCOUNT = """
    SELECT c.account_id, COUNT(DISTINCT c.id) AS trained
    FROM accounts_contact c
    WHERE c.tenant_id = %(tenant)s AND c.account_id = ANY(%(accounts)s)
          AND EXISTS (SELECT 1 FROM learning_enrollment e
                      WHERE e.tenant_id = c.tenant_id AND e.contact_id = c.id AND e.completed_at IS NOT NULL)
    GROUP BY c.account_id
"""


def trained_contacts_by_account(tenant: Tenant, account_ids: Sequence[int]) -> dict[int, int]:
    """Trained users per account (METRICS.md: contacts who completed at least one path), one query; the query
    that health.usage's seat funnel calls (registered in learning.apps)."""
    if not account_ids:
        return {}
    rows = rows_of(_TRAINED_BY_ACCOUNT, {"tenant": tenant.pk, "accounts": list(account_ids)})
    return {r["account_id"]: r["trained"] for r in rows}


_TENANT_TRAINING = """
    SELECT (SELECT COUNT(*) FROM accounts_contact c WHERE c.tenant_id = %(tenant)s AND EXISTS (
                SELECT 1 FROM learning_enrollment e
                WHERE e.tenant_id = c.tenant_id AND e.contact_id = c.id AND e.completed_at IS NOT NULL)) AS trained,
           (SELECT SUM(a.seats) FROM accounts_customeraccount a WHERE a.tenant_id = %(tenant)s) AS seats,
           (SELECT COUNT(*) FROM accounts_customeraccount a
            WHERE a.tenant_id = %(tenant)s AND a.seats IS NOT NULL) AS accounts_with_seats
"""


def tenant_training(*, tenant: Tenant) -> dict[str, Any]:
    """The tenant's trained users (ever) against the seats purchased over all its accounts (None when no
    account records seats): ``trained``, ``seats``, ``coverage`` (trained / seats). One query."""
    row = rows_of(_TENANT_TRAINING, {"tenant": tenant.pk})[0]
    seats = row["seats"]
    return {"trained": row["trained"], "seats": seats, "accounts_with_seats": row["accounts_with_seats"],
            "coverage": row["trained"] / seats if seats else None}


def trained_contacts_as_of(*, tenant: Tenant, account_ids: Sequence[int] | None,
                           until: dt.datetime) -> dict[int, int]:
    """Trained contacts per account as of an instant: contacts of the account (their current one) with an
    enrollment completed before ``until`` (the health score's training adoption, which must ignore later
    completions; :func:`trained_contacts_by_account` counts ever). One query."""
    rows = Enrollment.objects.filter(tenant=tenant, completed_at__lt=until, contact__account__isnull=False)
    if account_ids is not None:
        rows = rows.filter(contact__account_id__in=list(account_ids))
    return dict(rows.values("contact__account_id").annotate(n=Count("contact_id", distinct=True))
                .values_list("contact__account_id", "n"))
