"""Reads of the closed loop: the low responses that need a follow-up, and each loop's closure.

Closure (METRICS.md "time to close the loop"), per low response, the earliest of:

- a public outbound ticket message or call by an agent to that contact (support: direction outbound,
  author agent, not internal, on a ticket of the contact or naming the contact), started at or after
  ``submitted_at``;
- a logged touch (call, meeting, email; not a plain note) on the response's account, happened at or after
  ``submitted_at``. A touch names no contact, so a touch on the account counts for each of its contacts;
- the completion of the response's follow-up task.

All three are correlated subqueries of one SQL statement (PostgreSQL's LEAST skips the NULLs), and the
figures (count, median, p90) are aggregates over the same statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Least

from accounts.timeline.selectors import logged_touches
from accounts.worklist.models import SourceKind
from accounts.worklist.selectors import sourced_tasks
from support.records.selectors import outbound_contacts
from surveys.loop.rules import LOW
from surveys.models import SurveyResponse

if TYPE_CHECKING:
    from accounts.models import Tenant

LIST_LIMIT = 50

DEFINITIONS = {
    "low": "A response opens the loop when it is an NPS detractor (score 0-6) or a CSAT of 1 or 2.",
    "time_to_close": (
        "Per low response: from its submitted time to the first outbound contact with that contact after it "
        "(a public ticket reply or call by an agent, or a call, meeting or email logged on the account) or the "
        "completion of its follow-up task, whichever comes first."),
    "open": "Low responses of the period whose loop is not closed yet, the oldest first.",
    "closed": "Low responses of the period whose loop is closed, the latest closed first, with the time it took.",
    "median": "The middle time to close over the closed loops of the period (between two middle values, "
              "their average).",
    "p90": "90% of the closed loops of the period closed within this time (interpolated, like the median).",
    "period": "Responses submitted from the start day to the end day included, in the tenant's time zone.",
}


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: the interpolated percentile (NULLs skipped), as
    the medians of METRICS.md elsewhere."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float, **extra) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


class EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def low_responses(*, tenant: Tenant, response_ids: Iterable[int]) -> QuerySet:
    """The low ones among ``response_ids``, with what a follow-up task's title needs (one query)."""
    return (SurveyResponse.objects.filter(tenant=tenant, pk__in=list(response_ids)).filter(LOW)
            .select_related("survey", "contact", "account").order_by("pk"))


def _tasks(tenant: Tenant) -> QuerySet:
    return sourced_tasks(tenant=tenant, source_kind=SourceKind.SURVEY_RESPONSE).filter(source_id=OuterRef("pk"))


def recent_low_response_ids(*, tenant: Tenant, since: dt.datetime, limit: int) -> list[int]:
    """Low responses submitted since ``since`` without a follow-up task (the sweep's work), oldest first."""
    return list(SurveyResponse.objects.filter(tenant=tenant, submitted_at__gte=since).filter(LOW)
                .exclude(Exists(_tasks(tenant))).order_by("submitted_at", "pk").values_list("pk", flat=True)[:limit])


def closures(*, tenant: Tenant) -> QuerySet:
    """Every low response with ``first_reply_at``, ``first_touch_at``, ``task_id``, ``task_done_at``,
    ``closed_at`` (the earliest of the three; NULL = open) and ``close_seconds``: the module docstring's
    definition, as correlated subqueries."""
    replies = (outbound_contacts(tenant=tenant)
               .filter(Q(ticket__contact=OuterRef("contact")) | Q(contact=OuterRef("contact")),
                       started_at__gte=OuterRef("submitted_at"))
               .order_by("started_at").values("started_at")[:1])
    touches = (logged_touches(tenant=tenant)
               .filter(account=OuterRef("account"), happened_at__gte=OuterRef("submitted_at"))
               .order_by("happened_at").values("happened_at")[:1])
    tasks = _tasks(tenant)
    return (SurveyResponse.objects.filter(tenant=tenant).filter(LOW)
            .annotate(first_reply_at=Subquery(replies, output_field=DateTimeField()),
                      first_touch_at=Subquery(touches, output_field=DateTimeField()),
                      task_id=Subquery(tasks.values("pk")[:1]),
                      # At or after the answer, like the other two: an edit that moved submitted_at past an
                      # earlier completion must not give a negative time.
                      task_done_at=Subquery(tasks.filter(done_at__gte=OuterRef("submitted_at")).values("done_at")[:1],
                                            output_field=DateTimeField()))
            .annotate(closed_at=Least("first_reply_at", "first_touch_at", "task_done_at", output_field=DateTimeField()))
            .annotate(close_seconds=EpochSeconds(F("closed_at") - F("submitted_at"))))


def human_duration(seconds: float | None) -> str:
    """``45 min``, ``3 h 5 min``, ``2 d 4 h``: as precise as a CSM needs to compare loops."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True)
class Loop:
    response: SurveyResponse  # annotated as closures() does
    closed_by: str  # "reply", "touch", "task" or "" (open)

    @property
    def seconds(self) -> float | None:
        return self.response.close_seconds

    @property
    def duration(self) -> str:
        return human_duration(self.seconds)


def _closed_by(r: SurveyResponse) -> str:
    if r.closed_at is None:
        return ""
    for name, at in (("reply", r.first_reply_at), ("touch", r.first_touch_at), ("task", r.task_done_at)):
        if at == r.closed_at:
            return name
    return ""


CLOSED_BY_LABELS = {"reply": "Ticket reply or call", "touch": "Logged touch", "task": "Task completed"}


@dataclass(frozen=True)
class LoopReport:
    start: dt.datetime
    end: dt.datetime
    total: int
    open_count: int
    closed_count: int
    median_seconds: float | None
    p90_seconds: float | None
    open_loops: list[Loop]  # the oldest LIST_LIMIT
    closed_loops: list[Loop]  # the latest closed LIST_LIMIT

    @property
    def median(self) -> str:
        return human_duration(self.median_seconds)

    @property
    def p90(self) -> str:
        return human_duration(self.p90_seconds)


def loop_closures(*, tenant: Tenant, start: dt.datetime, end: dt.datetime, limit: int = LIST_LIMIT) -> LoopReport:
    """The low responses submitted in ``[start, end)``: the figures (one aggregate query) and the open and
    closed lists (one query each)."""
    period = closures(tenant=tenant).filter(submitted_at__gte=start, submitted_at__lt=end)
    figures = period.aggregate(total=Count("pk"), closed=Count("pk", filter=Q(closed_at__isnull=False)),
                               median=Percentile("close_seconds", fraction=0.5),
                               p90=Percentile("close_seconds", fraction=0.9))
    rows = period.select_related("survey", "contact", "account")
    open_rows = rows.filter(closed_at__isnull=True).order_by("submitted_at", "pk")[:limit]
    closed_rows = rows.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")[:limit]
    return LoopReport(
        start=start, end=end, total=figures["total"], closed_count=figures["closed"],
        open_count=figures["total"] - figures["closed"], median_seconds=figures["median"], p90_seconds=figures["p90"],
        open_loops=[Loop(r, "") for r in open_rows], closed_loops=[Loop(r, _closed_by(r)) for r in closed_rows])
