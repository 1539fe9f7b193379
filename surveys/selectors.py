"""Every read of surveys more than a one-liner: the survey list with its figures, a survey's texts and
latest responses, the API rows, the account's responses, and the timeline source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Max, Prefetch, Q, QuerySet
from django.urls import reverse

from accounts.timeline.registry import EventKind, TimelineEvent, TimelineQuery, TimelineSource, keyset
from surveys.languages import resolve
from surveys.models import Survey, SurveyResponse, SurveyText
from surveys.scales import Kind

if TYPE_CHECKING:
    from accounts.models import CustomerAccount, Tenant


def survey_list(*, tenant: Tenant) -> QuerySet:
    """Every survey with ``response_count`` (all its responses) and ``latest_at`` (the newest
    ``submitted_at``), one query."""
    return (Survey.objects.filter(tenant=tenant)
            .annotate(response_count=Count("responses"), latest_at=Max("responses__submitted_at"))
            .order_by("kind", "-is_default", "name", "id"))


def survey_texts(*, tenant: Tenant, survey: Survey) -> list[SurveyText]:
    return list(SurveyText.objects.filter(tenant=tenant, survey=survey).order_by("language"))


def text_for(*, tenant: Tenant, survey: Survey, language: str | None) -> SurveyText | None:
    """The survey's words for a reader of ``language``, by surveys.languages' fallback (None = no text)."""
    texts = {t.language: t for t in survey_texts(tenant=tenant, survey=survey)}
    code = resolve(language, survey.default_language, texts)
    return texts.get(code) if code else None


def survey_responses(*, tenant: Tenant, survey: Survey) -> QuerySet:
    """A survey's responses, newest first, with contact, account and ticket fetched in the same query."""
    return (SurveyResponse.objects.filter(tenant=tenant, survey=survey)
            .select_related("contact", "account", "ticket").order_by("-submitted_at", "-id"))


def api_survey_rows(*, tenant: Tenant) -> QuerySet:
    texts = SurveyText.objects.filter(tenant=tenant).order_by("language")
    return Survey.objects.filter(tenant=tenant).prefetch_related(Prefetch("texts", queryset=texts))


def account_response_rows(*, tenant: Tenant, account: CustomerAccount) -> QuerySet:
    return (SurveyResponse.objects.filter(tenant=tenant, account=account)
            .select_related("survey", "contact", "ticket"))


# --- the timeline source, registered from SurveysConfig.ready() (accounts.timeline.registry) -----------

SURVEY_ANSWERED = EventKind("surveys.answered", "Survey answered")
KIND_LABELS = dict(Kind.choices)
TIMELINE_COMMENT = 120  # characters of the comment quoted in the title


def answer_title(kind: str, score: int, comment: str) -> str:
    """E.g. ``NPS 9 — “Great support”`` (the comment shortened)."""
    title = f"{KIND_LABELS.get(kind, kind)} {score}"
    comment = " ".join(comment.split())
    if comment:
        short = comment if len(comment) <= TIMELINE_COMMENT else comment[: TIMELINE_COMMENT - 1] + "…"
        title += f" — “{short}”"
    return title


def timeline_answers(query: TimelineQuery) -> list[TimelineEvent]:
    subject = {"account": query.account} if query.account is not None else {"contact": query.contact}
    responses = SurveyResponse.objects.filter(tenant=query.tenant, **subject)
    rows = keyset(responses, query=query, kinds={SURVEY_ANSWERED.name: Q()}, at="submitted_at").values_list(
        "pk", "submitted_at", "score", "comment", "survey_id", "survey__kind", "survey__name", "contact__name",
        "contact__email")
    events = []
    for pk, at, score, comment, survey_pk, kind, survey_name, name, email in rows:
        facts = [survey_name]
        if query.account is not None:
            facts.append(name or email)
        events.append(TimelineEvent(
            at=at, kind=SURVEY_ANSWERED.name, key=pk, title=answer_title(kind, score, comment), detail=survey_name,
            url=reverse("survey-detail", args=[query.tenant.slug, survey_pk]),
            context=" · ".join(f for f in facts if f)))
    return events


TIMELINE_SOURCE = TimelineSource(name="surveys.responses", kinds=(SURVEY_ANSWERED,),
                                 account_events=timeline_answers, contact_events=timeline_answers)




def _answers(tenant: Tenant, kind: str, account_ids: Sequence[int] | None, until: dt.datetime) -> QuerySet:
    rows = SurveyResponse.objects.filter(tenant=tenant, survey__kind=kind, submitted_at__lt=until)
    return rows if account_ids is None else rows.filter(account_id__in=list(account_ids))


def latest_nps_by_account(*, tenant: Tenant, account_ids: Sequence[int] | None,
                          until: dt.datetime) -> dict[int, int]:
    """The latest NPS answer (0-10) of each account submitted before ``until``, by the account recorded on the
    answer; ties on the instant go to the later answer (higher id). One query (DISTINCT ON)."""
    rows = (_answers(tenant, Kind.NPS, account_ids, until).order_by("account_id", "-submitted_at", "-id")
            .distinct("account_id").values_list("account_id", "score"))
    return dict(rows)


def mean_csat_by_account(*, tenant: Tenant, account_ids: Sequence[int] | None, since: dt.datetime,
                         until: dt.datetime) -> dict[int, float]:
    """The mean CSAT (1-5) of each account's answers submitted in ``[since, until)``, one query."""
    rows = (_answers(tenant, Kind.CSAT, account_ids, until).filter(submitted_at__gte=since)
            .values("account_id").annotate(mean=Avg("score")).values_list("account_id", "mean"))
    return {account_id: float(mean) for account_id, mean in rows}


def nps_answers_at_most(*, tenant: Tenant, account_ids: Sequence[int] | None, since: dt.datetime,
                        until: dt.datetime, max_score: int) -> list[dict]:
    """NPS answers scored ``max_score`` or less submitted in ``[since, until)`` (the health alerts' detractors):
    ``id``, ``account_id``, ``score``, ``submitted_at``, ``comment``, oldest first. One query."""
    rows = _answers(tenant, Kind.NPS, account_ids, until).filter(submitted_at__gte=since, score__lte=max_score)
    return list(rows.order_by("submitted_at", "id").values("id", "account_id", "score", "submitted_at", "comment"))
