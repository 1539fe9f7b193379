"""QA peer-review pages (issue 5): rubrics, the sampling queue, reviewing, calibration, "my reviews".
Thin: parse a form, fetch through the access helpers in support.qa.selectors, call support.qa.services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import has_permission, requires
from cs_platform.web.pages import paginate
from support.desk.selectors import agent_of_user, ticket_timeline
from support.models import QaReview, QaRubric
from support.qa import selectors
from support.qa.forms import ReviewForm, RubricForm, SampleForm, criterion_formset
from support.qa.services import (
    QaError,
    agent_is_user,
    sample_reviews,
    save_rubric,
    set_rubric_active,
    start_calibration,
    submit_review,
)

SCORE_WINDOW_DAYS = 90  # the QA score shown on the pages: reviews submitted in the last 90 days


@require_GET
@requires("qa.manage")
def rubric_list(request: HttpRequest) -> HttpResponse:
    return render(request, "support/qa/rubric_list.html", {"rubrics": selectors.rubric_list(tenant=request.tenant)})


def _rubric_form(request: HttpRequest, rubric: QaRubric) -> HttpResponse:
    tenant = request.tenant
    criteria = selectors.rubric_criteria(tenant=tenant, rubric=rubric) if rubric.pk else []
    data = request.POST if request.method == "POST" else None
    form = RubricForm(data, initial={"name": rubric.name})
    formset = criterion_formset(data, criteria=criteria)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = save_rubric(tenant=tenant, rubric=rubric, name=form.cleaned_data["name"],
                                criteria=formset.criterion_inputs())
        except QaError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Rubric “{saved.name}” saved. Submitted reviews keep their scores.")
            return redirect("qa-rubric-detail", tenant_slug=tenant.slug, qarubric_pk=saved.pk)
    return render(request, "support/qa/rubric_form.html", {"form": form, "formset": formset,
                                                            "rubric": rubric if rubric.pk else None})


@require_http_methods(["GET", "POST"])
@requires("qa.manage")
def rubric_create(request: HttpRequest) -> HttpResponse:
    return _rubric_form(request, QaRubric(tenant=request.tenant))


@require_http_methods(["GET", "POST"])
@requires("qa.manage")
def rubric_detail(request: HttpRequest, qarubric_pk: int) -> HttpResponse:
    return _rubric_form(request, selectors.get_qarubric_for_tenant(request.tenant, pk=qarubric_pk))


@require_POST
@requires("qa.manage")
def rubric_active(request: HttpRequest, qarubric_pk: int) -> HttpResponse:
    rubric = selectors.get_qarubric_for_tenant(request.tenant, pk=qarubric_pk)
    active = request.POST.get("active") == "1"
    set_rubric_active(tenant=request.tenant, rubric=rubric, active=active)
    messages.success(request, f"Rubric “{rubric.name}” {'activated' if active else 'deactivated'}.")
    return redirect("qa-rubric-list", tenant_slug=request.tenant.slug)


@require_GET
@requires("qa.review")
def queue(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    can_manage = has_permission(request, "qa.manage")
    context = {
        "page": paginate(request, selectors.queue_reviews(tenant=tenant, user=request.user)),
        "can_manage": can_manage,
        "sample_form": SampleForm(rubrics=selectors.active_rubrics(tenant=tenant)) if can_manage else None,
    }
    return render(request, "support/qa/queue.html", context)


@require_POST
@requires("qa.manage")
def build_sample(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    form = SampleForm(request.POST, rubrics=selectors.active_rubrics(tenant=tenant))
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[k].label or k}: {' '.join(v)}" if k in form.fields else " ".join(v)
                           for k, v in form.errors.items())
        messages.error(request, f"Sample not built. {errors}")
        return redirect("qa-queue", tenant_slug=tenant.slug)
    since = timezone.now() - dt.timedelta(days=form.cleaned_data["days"])
    result = sample_reviews(tenant=tenant, rubric=form.cleaned_data["rubric"], since=since,
                            per_agent=form.cleaned_data["per_agent"], include_low_csat=True)
    messages.success(request, f"{result.total} review{'s' if result.total != 1 else ''} queued "
                              f"({result.stratified} sampled, {result.low_csat} low CSAT).")
    return redirect("qa-queue", tenant_slug=tenant.slug)


def _reviewable(request: HttpRequest, qareview_pk: int) -> QaReview:
    """The review, unless it is of the user's own replies: that one stays out of sight here (404)."""
    review = selectors.get_qareview_for_tenant(request.tenant, pk=qareview_pk)
    if agent_is_user(review.agent, request.user):
        raise Http404("No such review")
    return review


@require_http_methods(["GET", "POST"])
@requires("qa.review")
def review_detail(request: HttpRequest, qareview_pk: int) -> HttpResponse:
    tenant = request.tenant
    review = _reviewable(request, qareview_pk)
    criteria = selectors.rubric_criteria(tenant=tenant, rubric=review.rubric)
    can_score = review.state == QaReview.State.QUEUED and review.reviewer_id in (None, request.user.pk)
    form = ReviewForm(request.POST if request.method == "POST" else None, criteria=criteria)
    if request.method == "POST":
        if not can_score:
            form = ReviewForm(None, criteria=criteria)
            messages.error(request, "This review is already submitted or taken by another reviewer.")
        elif form.is_valid():
            try:
                submit_review(tenant=tenant, review=review, reviewer=request.user, scores=form.score_inputs(),
                              comment=form.cleaned_data["comment"])
            except QaError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Review submitted.")
                return redirect("qa-review-detail", tenant_slug=tenant.slug, qareview_pk=review.pk)
    siblings = selectors.other_reviews(tenant=tenant, review=review)
    # Calibration is blind: a second reviewer sees the other scores only once their own are submitted.
    mine_done = any(s.reviewer_id == request.user.pk and s.state == QaReview.State.SUBMITTED for s in siblings)
    can_see_scores = (review.reviewer_id == request.user.pk and review.state == QaReview.State.SUBMITTED
                      ) or mine_done or has_permission(request, "qa.manage")
    context = {
        "review": review,
        "ticket": review.ticket,
        "timeline": ticket_timeline(tenant=tenant, ticket=review.ticket),
        "form": form,
        "can_score": can_score,
        "criteria_scores": _criteria_scores(tenant, review, criteria) if can_see_scores else [],
        "can_see_scores": can_see_scores,
        "siblings": siblings,
        "can_calibrate": (review.state == QaReview.State.SUBMITTED and review.reviewer_id != request.user.pk
                          and all(s.reviewer_id != request.user.pk for s in siblings)),
    }
    return render(request, "support/qa/review.html", context)


def _criteria_scores(tenant, review: QaReview, criteria) -> list[tuple]:
    if review.state != QaReview.State.SUBMITTED:
        return []
    scores = selectors.review_scores(tenant=tenant, review=review)
    return [(c, scores.get(c.pk)) for c in criteria]


@require_POST
@requires("qa.review")
def review_calibrate(request: HttpRequest, qareview_pk: int) -> HttpResponse:
    review = _reviewable(request, qareview_pk)
    try:
        mine = start_calibration(tenant=request.tenant, review=review, reviewer=request.user)
    except QaError as exc:
        messages.error(request, str(exc))
        return redirect("qa-review-detail", tenant_slug=request.tenant.slug, qareview_pk=review.pk)
    messages.success(request, "Your calibration review of this ticket is ready.")
    return redirect("qa-review-detail", tenant_slug=request.tenant.slug, qareview_pk=mine.pk)


def _window() -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    return now - dt.timedelta(days=SCORE_WINDOW_DAYS), now


@require_GET
@requires("qa.manage")
def calibration(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    date_from, date_to = _window()
    context = {
        "pairs": selectors.calibration_pairs(tenant=tenant),
        "limit": selectors.CALIBRATION_LIMIT,
        "teams": selectors.qa_scores(tenant=tenant, date_from_utc=date_from, date_to_utc=date_to, group_by="team"),
        "agents": selectors.qa_scores(tenant=tenant, date_from_utc=date_from, date_to_utc=date_to,
                                      group_by="agent"),
        "window_days": SCORE_WINDOW_DAYS,
    }
    return render(request, "support/qa/calibration.html", context)


@require_GET
@requires("qa.mine")
def mine(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant
    agent = agent_of_user(tenant=tenant, user=request.user)
    context = {"agent": agent, "window_days": SCORE_WINDOW_DAYS}
    if agent is not None:
        date_from, date_to = _window()
        rows = selectors.qa_scores(tenant=tenant, date_from_utc=date_from, date_to_utc=date_to, group_by="agent",
                                   agent_ids=[agent.pk])
        context["qa"] = rows[0] if rows else None
        context["page"] = paginate(request, selectors.my_reviews(tenant=tenant, agent=agent))
    return render(request, "support/qa/mine.html", context)
