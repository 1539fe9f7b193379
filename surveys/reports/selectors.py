"""The survey report (METRICS.md "Surveys") and the reads of the results pages: comments and non-responders.

:func:`survey_report` is the ONE selector behind ``GET /api/v1/reports/surveys`` and the report page, so page
and API cannot disagree. Three grouped aggregate queries whatever the data and the grouping: responses by
``submitted_at``, invitations by ``sent_at`` (with whether each was answered), suppressed invitations by
``suppressed_at`` and reason. Python only merges their few rows.

Decisions, where METRICS.md leaves room (the README repeats them):

- **Periods.** ``start`` / ``end`` are tenant-local dates (``end`` exclusive), turned into UTC instants with the
  tenant's zone (support.reports.periods.local_start). ``group_by=month`` gives one row per tenant-local month of
  the range (the first and last clipped to it), each bucketed in the tenant's zone: a response at 23:30 local
  on 31 January is January's, whatever the UTC date.
- **Figures over responses** (CSAT %, CSAT average, NPS, CES) count every response submitted in the period,
  from any source (page, email, API), each once.
- **Response rate** = ``responses / invitations_sent``: ``invitations_sent`` are the invitations whose
  ``sent_at`` is in the period, ``responses`` those of them that have a response, whenever it arrived (an
  invitation sent on 30 January and answered on 2 February counts for January). API responses without an
  invitation are in the figures but in neither side of the rate. ``null`` without invitations sent.
- **Suppressed** = invitations whose ``suppressed_at`` is in the period with a reason METRICS.md counts: the
  fatigue budget (``contact_cooldown``, ``account_limit``), the contact's opt-out (``opted_out``) and a reopened
  ticket (``ticket_reopened``). ``suppressed_by_reason`` lists every reason (those and the others: skip rules,
  merged ticket, no email, bounces ...), zeros included, so the page can show them all.
- **Grouping.** ``account``: the account recorded on the response / invitation (the contact's account then).
  ``agent`` / ``team``: through the ticket's attribution (METRICS.md "CSAT of a ticket"): the ticket's
  ``resolved_assignee`` (the agent assigned when it was first resolved) and that agent's team, as the support
  report attributes resolutions. ``channel``: the ticket's channel. ``survey``: the survey. A response or
  invitation without a ticket (NPS campaigns, API answers without ``ticket``) falls in the ``null`` group of
  agent, team and channel: on the page "No ticket" by channel, "No agent" / "No team" by agent / team (which
  also hold tickets resolved while unassigned / by an agent in no team).
- **Labels.** ``group`` is what the API addresses a group by: the account's ``external_id``, the agent's email,
  the team's name, the channel code, the survey id, ``YYYY-MM``; ``name`` is what a person reads (account
  name, agent name else email, team name, channel label, survey name). Both come from the aggregate queries.
- **Empty sets and small groups.** Counts of nothing are 0; a figure over no responses is ``null``. Every
  figure carries its ``n``; NPS and CSAT over 1-9 responses carry ``interval`` (90%, surveys.reports.stats),
  otherwise ``interval`` is ``null``. Nothing is rounded.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.selectors import account_list
from support.models import Channel
from support.reports.periods import local_start, next_month
from surveys.models import Invitation, SuppressionReason, SurveyResponse
from surveys.reports.stats import nps_interval, small, wilson_interval
from surveys.scales import SCALES, Kind

if TYPE_CHECKING:
    from accounts.models import Tenant

GROUP_BYS = ("none", "month", "account", "agent", "team", "channel", "survey")

# METRICS.md "suppressed": the fatigue budget, the contact's opt-out or a reopened ticket.
COUNTED_SUPPRESSIONS = (SuppressionReason.CONTACT_COOLDOWN, SuppressionReason.ACCOUNT_LIMIT,
                        SuppressionReason.OPTED_OUT, SuppressionReason.TICKET_REOPENED)

# (group key, API label, display name) as field paths; responses and invitations share them (both have
# survey, account and ticket).
_KEYS = {
    "account": ("account_id", "account__external_id", "account__name"),
    "agent": ("ticket__resolved_assignee_id", "ticket__resolved_assignee__email", "ticket__resolved_assignee__name"),
    "team": ("ticket__resolved_assignee__team_id", "ticket__resolved_assignee__team__name",
             "ticket__resolved_assignee__team__name"),
    "channel": ("ticket__channel", "ticket__channel", "ticket__channel"),
    "survey": ("survey_id", "survey_id", "survey__name"),
}

# What the row without a group holds, per grouping (the pages show it; the API's group is null).
NO_GROUP = {
    "agent": "No agent",
    "team": "No team",
    "channel": "No ticket",
}
NO_GROUP_MEANING = {
    "agent": "answers and invitations without a ticket, or about a ticket resolved while unassigned",
    "team": "answers and invitations without a ticket, or about a ticket resolved by an agent in no team",
    "channel": "answers and invitations without a ticket (relationship NPS, API answers without a ticket)",
}

_CSAT, _NPS, _CES = Q(survey__kind=Kind.CSAT), Q(survey__kind=Kind.NPS), Q(survey__kind=Kind.CES)
_RESPONSE_FIGURES = {
    "csat_n": Count("pk", filter=_CSAT), "csat_satisfied": Count("pk", filter=_CSAT & Q(score__gte=4)),
    "csat_sum": Sum("score", filter=_CSAT),
    "nps_n": Count("pk", filter=_NPS), "promoters": Count("pk", filter=_NPS & Q(score__gte=9)),
    "detractors": Count("pk", filter=_NPS & Q(score__lte=6)),
    "ces_n": Count("pk", filter=_CES), "ces_sum": Sum("score", filter=_CES),
}
_INVITATION_FIGURES = {
    "invitations_sent": Count("pk", distinct=True),
    # At most one response per invitation (a unique constraint), so distinct responses = answered invitations.
    "responses": Count("responses", distinct=True),
}


def _bounds(tenant: Tenant, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local_start(start, tenant.zone), local_start(end, tenant.zone)


def _grouped(qs: QuerySet, *, tenant: Tenant, group_by: str, time_field: str, figures: dict,
             also: tuple[str, ...] = ()) -> list[dict]:
    """``qs`` aggregated by the grouping's key: rows with ``k`` (str or None), ``k_label``, ``k_name``, the
    figures and the ``also`` columns (extra group keys)."""
    if group_by == "none":
        qs = qs.annotate(k=F("tenant_id"))  # one group: the tenant
        keys = ["k", *also]
    elif group_by == "month":
        qs = qs.annotate(k=TruncMonth(time_field, tzinfo=tenant.zone))
        keys = ["k", *also]
    else:
        key, label, name = _KEYS[group_by]
        qs = qs.annotate(k=F(key), k_label=F(label), k_name=F(name))
        keys = ["k", "k_label", "k_name", *also]
    rows = list(qs.values(*keys).annotate(**figures).order_by())
    for row in rows:
        if group_by == "none":
            row["k"] = None
        elif group_by == "month":
            row["k"] = f"{row['k'].astimezone(tenant.zone):%Y-%m}"
        elif row["k"] is not None:
            row["k"] = str(row["k"])
    return rows


def _pct(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _mean(total: int | None, n: int) -> float | None:
    return total / n if n else None


def _figures(r: dict) -> dict[str, Any]:
    csat_n, nps_n, ces_n = r.get("csat_n", 0), r.get("nps_n", 0), r.get("ces_n", 0)
    satisfied, promoters, detractors = r.get("csat_satisfied", 0), r.get("promoters", 0), r.get("detractors", 0)
    passives = nps_n - promoters - detractors
    return {
        "nps": {"score": _pct(promoters - detractors, nps_n), "n": nps_n, "promoters": promoters,
                "passives": passives, "detractors": detractors,
                "interval": list(nps_interval(promoters, passives, detractors)) if small(nps_n) else None},
        "csat": {"pct": _pct(satisfied, csat_n), "avg": _mean(r.get("csat_sum"), csat_n), "n": csat_n,
                 "satisfied": satisfied,
                 "interval": list(wilson_interval(satisfied, csat_n)) if small(csat_n) else None},
        "ces": {"avg": _mean(r.get("ces_sum"), ces_n), "n": ces_n},
    }


def _row(key: str | None, facts: dict[str, Any]) -> dict[str, Any]:
    sent, answered = facts.get("invitations_sent", 0), facts.get("responses", 0)
    by_reason = {reason: facts.get("reasons", {}).get(reason, 0) for reason in SuppressionReason.values}
    return {
        "group": facts.get("label", key), "name": facts.get("name"),
        **_figures(facts),
        "invitations_sent": sent, "responses": answered, "response_rate": answered / sent if sent else None,
        "suppressed": sum(by_reason[r] for r in COUNTED_SUPPRESSIONS),
        "suppressed_by_reason": by_reason,
    }


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, month = [], start.replace(day=1)
    while month < end:
        out.append(f"{month:%Y-%m}")
        month = next_month(month)
    return out


def _display_name(group_by: str, key: str | None, label: Any, name: Any) -> str:
    if key is None:
        return NO_GROUP.get(group_by, "All")
    if group_by == "channel":
        return str(Channel(label).label) if label in Channel.values else str(label)
    if group_by == "month":
        return key
    return str(name or label)


def survey_report(*, tenant: Tenant, start: dt.date, end: dt.date, group_by: str = "none") -> dict[str, Any]:
    """API.md "Other shapes" for tenant-local ``[start, end)`` (module docstring for the rules): three queries."""
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BYS)}")
    if start >= end:
        raise ValueError("end must be after start")
    lo, hi = _bounds(tenant, start, end)
    responses = _grouped(
        SurveyResponse.objects.filter(tenant=tenant, submitted_at__gte=lo, submitted_at__lt=hi),
        tenant=tenant, group_by=group_by, time_field="submitted_at", figures=_RESPONSE_FIGURES)
    sent = _grouped(
        Invitation.objects.filter(tenant=tenant, sent_at__gte=lo, sent_at__lt=hi),
        tenant=tenant, group_by=group_by, time_field="sent_at", figures=_INVITATION_FIGURES)
    suppressed = _grouped(
        Invitation.objects.filter(tenant=tenant, suppressed_at__gte=lo, suppressed_at__lt=hi)
        .exclude(suppressed_reason=""),
        tenant=tenant, group_by=group_by, time_field="suppressed_at", figures={"n": Count("pk")},
        also=("suppressed_reason",))
    facts: dict[str | None, dict[str, Any]] = defaultdict(lambda: {"reasons": {}})
    for row in [*responses, *sent, *suppressed]:
        fact = facts[row["k"]]
        if "k_label" in row and row["k"] is not None:
            fact["label"] = str(row["k_label"])
            fact["name"] = _display_name(group_by, row["k"], row["k_label"], row["k_name"])
        if "suppressed_reason" in row:
            fact["reasons"][row["suppressed_reason"]] = row["n"]
        else:
            fact.update({k: v for k, v in row.items() if not k.startswith("k")})
    if group_by == "none":
        keys: list[str | None] = [None]
    elif group_by == "month":
        keys = _months(start, end)
    else:
        keys = list(facts)
    rows = []
    for key in keys:
        fact = facts[key]
        fact.setdefault("name", _display_name(group_by, key, key, None))
        rows.append(_row(key, fact))
    if group_by not in ("none", "month"):
        rows.sort(key=lambda r: (r["group"] is None, (r["name"] or "").lower(), r["group"] or ""))
    return {"from": start.isoformat(), "to": end.isoformat(), "group_by": group_by, "timezone": tenant.timezone,
            "rows": rows}


# --- comments ---------------------------------------------------------------------------------------------


def band_filter(band: str) -> Q:
    """Responses whose score is in ``band`` on their survey's scale (surveys.scales): ``low`` means low CSAT
    and low CES, ``detractor`` NPS detractors, and so on."""
    parts = Q(pk__in=[])
    for kind, scale in SCALES.items():
        low = scale.low
        for name, upper in scale.bands:
            if name == band:
                parts |= Q(survey__kind=kind, score__gte=low, score__lte=upper)
            low = upper + 1
    return parts


def comment_list(*, tenant: Tenant, start: dt.date | None = None, end: dt.date | None = None, kind: str = "",
                 band: str = "", score: int | None = None, account_id: int | None = None,
                 q: str = "") -> QuerySet:
    """Responses with a comment or a follow-up answer, newest first, with survey, contact, account and ticket
    in the same query; filtered by tenant-local ``[start, end)``, kind, band, exact score, account and a
    search of the comment and follow-up answer."""
    qs = SurveyResponse.objects.filter(tenant=tenant).filter(~Q(comment="") | ~Q(followup_answer=""))
    if start is not None:
        qs = qs.filter(submitted_at__gte=local_start(start, tenant.zone))
    if end is not None:
        qs = qs.filter(submitted_at__lt=local_start(end, tenant.zone))
    if kind:
        qs = qs.filter(survey__kind=kind)
    if band:
        qs = qs.filter(band_filter(band))
    if score is not None:
        qs = qs.filter(score=score)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if q:
        qs = qs.filter(Q(comment__icontains=q) | Q(followup_answer__icontains=q))
    return qs.select_related("survey", "contact", "account", "ticket").order_by("-submitted_at", "-id")


# --- non-responders ---------------------------------------------------------------------------------------


def _invited(*, tenant: Tenant, start: dt.date, end: dt.date, segment: dict[str, str]) -> QuerySet:
    """Invitations sent in tenant-local ``[start, end)`` to the accounts of ``segment`` (the account list's
    own filters: accounts.selectors.account_list's ``q``, ``lifecycle_stage``, ``tier``)."""
    lo, hi = _bounds(tenant, start, end)
    qs = Invitation.objects.filter(tenant=tenant, sent_at__gte=lo, sent_at__lt=hi)
    if any(segment.values()):
        qs = qs.filter(account__in=account_list(tenant=tenant, **segment).values("pk"))
    return qs


_CONTACT_COUNTS = {
    "invited": Count("contact", distinct=True),
    "answered": Count("contact", distinct=True, filter=Q(responses__isnull=False)),
}


def non_responders(*, tenant: Tenant, start: dt.date, end: dt.date, segment: dict[str, str]) -> QuerySet:
    """Per account (dict rows, most non-responders first): ``invited`` = distinct contacts sent an invitation in
    the period, ``answered`` = those of them who answered at least one of those invitations (whenever),
    ``non_responders`` = invited - answered."""
    return (_invited(tenant=tenant, start=start, end=end, segment=segment)
            .values("account_id", "account__name", "account__external_id", "account__lifecycle_stage",
                    "account__tier")
            .annotate(**_CONTACT_COUNTS).annotate(non_responders=F("invited") - F("answered"))
            .order_by("-non_responders", "account__name", "account_id"))


def non_responder_totals(*, tenant: Tenant, start: dt.date, end: dt.date, segment: dict[str, str]) -> dict:
    """The segment's totals (one query): the same counts over every account of it."""
    totals = _invited(tenant=tenant, start=start, end=end, segment=segment).aggregate(**_CONTACT_COUNTS)
    return {**totals, "non_responders": totals["invited"] - totals["answered"]}


def non_responders_by(*, tenant: Tenant, start: dt.date, end: dt.date, segment: dict[str, str],
                      field: str) -> list[dict]:
    """The same counts per account ``lifecycle_stage`` or ``tier`` (one query): non-responders by segment."""
    if field not in ("lifecycle_stage", "tier"):
        raise ValueError("field must be lifecycle_stage or tier")
    return list(_invited(tenant=tenant, start=start, end=end, segment=segment)
                .values(value=F(f"account__{field}")).annotate(**_CONTACT_COUNTS)
                .annotate(non_responders=F("invited") - F("answered")).order_by("value"))
