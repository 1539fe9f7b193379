"""The account health page (``/t/<slug>/accounts/<pk>/health/``): the score with its band and confidence, the
CSM override beside the computed score, the 90-day trend with the band edges, the 7- and 30-day explanations,
the component table with each definition, the override form and its history, and "Recompute now" with a
polling progress bar. Thin: fetch through the access helpers, read through health.scores.standing and
selectors, write through health.scores.overrides and jobs, render (full page or an htmx partial).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_account_for_tenant, get_job_for_tenant
from accounts.permissions import has_permission, requires
from accounts.selectors import tenant_today
from cs_platform.web.charts import Point, line_with_bands
from cs_platform.web.pages import render_list, wants_partial
from health.scores import selectors
from health.scores.components import COMPONENTS
from health.scores.explain import label_of
from health.scores.forms import OverrideForm
from health.scores.inputs import local_bounds
from health.scores.jobs import JOB_KIND, _request, start_recompute
from health.scores.models import HealthOverride, OverrideEnd
from health.scores.overrides import OverrideError, remove_override, set_override
from health.scores.standing import LIVE, Standing, standing

TREND_DAYS = 90
TEMPLATE = "health/scores/account_health.html"
DEFS = {
    "score": "score = sum(weight x points) / sum(weight of the components that had data) (METRICS.md \"Health\"), "
             "as of the end of the local day shown.",
    "band": "The band whose lower edge is the highest one the score reaches (the scorecard's edges).",
    "confidence": "sum(weight of the components with data) / sum(all weights): how much of the scorecard had data.",
    "override": "A CSM's score or band with a reason and an expiry. It is shown beside the computed score, which "
                "is kept and still recomputed; it ends by itself at its expiry.",
    "trend": f"The stored score of each of the {TREND_DAYS} local days ending today; a day without a stored "
             "score is a gap. Dashed lines: the band edges of the current scorecard.",
    "change": "Per component, its share of the score on the later day minus its share on the earlier one (share = "
              "weight x points / sum of the weights with data that day); the parts add up exactly to the change. "
              "Rounded to whole points so that the parts still add up.",
    "input": "The component's input as of that day (its definition is beside it).",
    "points": "0-100 from the scorecard's mapping of the input; empty: no data, left out.",
    "weight": "The scorecard's weight of the component.",
    "effective_weight": "weight / sum of the weights of the components with data that day (0 without data).",
}


@dataclass(frozen=True)
class ComponentRow:
    label: str
    definition: str
    input: Any
    points: float | None
    weight: float
    effective_weight: float


@dataclass(frozen=True)
class HistoryRow:
    override: HealthOverride
    state: str  # in force, expired, removed, replaced
    ended_at: dt.datetime | None
    ended_by: Any


def by_edge(bands: dict[str, float]) -> list[str]:
    """Band names from the lowest edge up (a jsonb object does not keep the order it was written in)."""
    return [name for name, _ in sorted(bands.items(), key=lambda kv: kv[1])]


def _components(found: Standing) -> list[ComponentRow]:
    if found.row is None:
        return []
    return [ComponentRow(label_of(c), COMPONENTS[c["key"]].definition if c["key"] in COMPONENTS else "",
                         c.get("input"), c.get("points"), c["weight"], c.get("effective_weight", 0.0))
            for c in found.row.components]


def _history(overrides: list[HealthOverride], now: dt.datetime) -> list[HistoryRow]:
    rows = []
    for o in overrides:
        if o.ended_at is None and o.expires_at <= now:  # ended by itself; the sweep has not written it yet
            rows.append(HistoryRow(o, OverrideEnd.EXPIRED.label, o.expires_at, None))
        elif o.ended_at is None:
            rows.append(HistoryRow(o, "In force", None, None))
        else:
            rows.append(HistoryRow(o, OverrideEnd(o.end_reason).label, o.ended_at, o.ended_by))
    return rows


def _trend_chart(trend: list[dict], *, today: dt.date, bands: dict[str, float]) -> Any:
    by_day = {t["day"]: t for t in trend}
    points = []
    for n in range(TREND_DAYS - 1, -1, -1):
        day = today - dt.timedelta(days=n)
        found = by_day.get(day)
        value = found["score"] if found else None
        title = f"{day.isoformat()}: " + (f"{value:.1f} ({found['band']})" if value is not None else "no score")
        points.append(Point(day.strftime("%b %d"), value, title))
    return line_with_bands(points, edges=sorted(bands.items(), key=lambda kv: kv[1]),
                           aria_label=f"Health score, the {TREND_DAYS} days ending {today.isoformat()}")


def _context(request: HttpRequest, account: Any, *, form: OverrideForm | None = None, job: Any = None,
             notice: str = "") -> dict:
    tenant = request.tenant
    today = tenant_today(tenant)
    found = standing(tenant=tenant, account=account, as_of=None)
    bands = dict(found.row.bands) if found.row else selectors.bands_for_account(tenant=tenant, account=account)
    trend = selectors.score_trend(tenant=tenant, account=account, start=today - dt.timedelta(days=TREND_DAYS - 1),
                                  end=today)
    can_override = has_permission(request, "health.override")
    if can_override and form is None:
        form = OverrideForm(bands=by_edge(bands), today=today)
    return {
        "account": account, "standing": found, "row": found.row, "override": found.override,
        "live": found.row is not None and found.row.source == LIVE,
        "changes": [found.changes[n] for n in sorted(found.changes)],
        "components": _components(found), "bands": bands,
        "trend_chart": _trend_chart(trend, today=today, bands=bands), "today": today,
        "history": _history(selectors.override_history(tenant=tenant, account=account), timezone.now()),
        "can_override": can_override, "form": form, "job": job, "notice": notice, "definitions": DEFS,
    }


@require_GET
@requires("health.view")
def account_health(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    return render_list(request, TEMPLATE, _context(request, account), partial="overview")


def _answer(request: HttpRequest, account: Any, message: str) -> HttpResponse:
    if wants_partial(request):
        return render_list(request, TEMPLATE, _context(request, account, notice=message), partial="overview")
    messages.success(request, message)
    return redirect("account-health", tenant_slug=request.tenant.slug, account_pk=account.pk)


def _refused(request: HttpRequest, account: Any, *, form: OverrideForm | None = None, notice: str = "") -> HttpResponse:
    """The overview again with the form's errors (or the notice), as a 400 (htmx swaps it: base.html)."""
    response = render_list(request, TEMPLATE, _context(request, account, form=form, notice=notice),
                           partial="overview")
    response.status_code = 400
    return response


def _override_id(request: HttpRequest) -> int | None:
    """The posted ``override`` (the one the page showed), or None when it is not a plausible id."""
    raw = request.POST.get("override", "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


@require_POST
@requires("health.override")
def account_health_override(request: HttpRequest, account_pk: int) -> HttpResponse:
    tenant = request.tenant
    account = get_account_for_tenant(tenant, pk=account_pk)
    today = tenant_today(tenant)
    bands = by_edge(selectors.bands_for_account(tenant=tenant, account=account))
    form = OverrideForm(request.POST, bands=bands, today=today)
    if not form.is_valid():
        return _refused(request, account, form=form)
    values = form.cleaned_data
    expiry = local_bounds(tenant, values["expires_on"], values["expires_on"])[1]  # the end of that local day
    try:
        set_override(tenant=tenant, account=account, score=values["score"], band=values["band"],
                     reason=values["reason"], expires_at=expiry, by=request.user)
    except OverrideError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _refused(request, account, form=form)
    return _answer(request, account, "Override saved; the computed score is kept beside it.")


@require_POST
@requires("health.override")
def account_health_override_remove(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    override_id = _override_id(request)
    if override_id is None:
        return _refused(request, account, notice="override: the override to remove is missing")
    try:
        ended = remove_override(tenant=request.tenant, account=account, override_id=override_id, by=request.user)
    except OverrideError as error:
        return _refused(request, account, notice=f"{error.field}: {error}")
    if ended.end_reason == OverrideEnd.EXPIRED:
        return _answer(request, account, "That override had already expired; nothing else changed.")
    return _answer(request, account, "Override removed; the computed score applies again.")


@require_POST
@requires("health.override")
def account_health_recompute(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    job = start_recompute(tenant=request.tenant, days=[tenant_today(request.tenant)], account_ids=[account.pk],
                          by=request.user)
    if wants_partial(request):
        return render_list(request, TEMPLATE, {"account": account, "job": job}, partial="progress")
    return redirect("account-health-job", tenant_slug=request.tenant.slug, account_pk=account.pk, job_pk=job.pk)


@require_GET
@requires("health.view")
def account_health_job(request: HttpRequest, account_pk: int, job_pk: int) -> HttpResponse:
    """The recompute's progress: the page with its bar, or (htmx, polled every second) the bar alone, plus the
    refreshed score section swapped out of band once the job has finished."""
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    job = get_job_for_tenant(request.tenant, pk=job_pk)
    if job.kind != JOB_KIND or _request(job)[1] != [account.pk]:
        raise Http404("no such recompute of this account")
    if not wants_partial(request):
        return render_list(request, TEMPLATE, _context(request, account, job=job))
    if not job.finished:
        return render_list(request, TEMPLATE, {"account": account, "job": job}, partial="progress")
    return render_list(request, TEMPLATE, {**_context(request, account, job=job), "oob": True}, partial="finished")
