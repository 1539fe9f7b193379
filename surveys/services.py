"""Every write of surveys (keyword-only, typed, atomic): survey definitions with their texts, the
default survey of a kind, and responses recorded in bulk (``POST /survey-responses``).

Idempotency of responses: an item with an ``external_id`` already stored is a *duplicate* when every
value equals the stored one, and otherwise *updates* that response (a widget lets a person change their
answer; the latest values win). Items without an ``external_id`` are always new responses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.selectors import contacts_by_external_id
from cs_platform.bulk import BulkResult, ItemValidator
from health.scores.dirty import mark_dirty
from support.records.selectors import ticket_by_external_id
from surveys.models import Source, Survey, SurveyResponse, SurveyText
from surveys.scales import Kind, score_error

if TYPE_CHECKING:
    from accounts.models import Tenant

# The default survey of each kind: its name and its question in every shipped language (surveys.languages
# .SHIPPED), so that a contact whose language ships reads the question in it from the first invitation.
DEFAULT_NAMES = {Kind.CSAT: "Customer satisfaction", Kind.NPS: "Net Promoter Score", Kind.CES: "Customer effort"}
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    Kind.CSAT: {
        "en": "How satisfied are you with the support you received?",
        "tr": "Aldığınız destekten ne kadar memnun kaldınız?",
        "zh-Hans": "您对获得的支持有多满意？",
        "ta": "நீங்கள் பெற்ற ஆதரவில் எவ்வளவு திருப்தி அடைந்தீர்கள்?",
    },
    Kind.NPS: {
        "en": "How likely are you to recommend us to a friend or colleague?",
        "tr": "Bizi bir arkadaşınıza veya iş arkadaşınıza önerme olasılığınız nedir?",
        "zh-Hans": "您有多大可能向朋友或同事推荐我们？",
        "ta": "எங்களை ஒரு நண்பருக்கோ சக ஊழியருக்கோ பரிந்துரைக்க எவ்வளவு வாய்ப்புள்ளது?",
    },
    Kind.CES: {
        "en": "How easy was it to get your issue handled?",
        "tr": "Sorununuzu çözdürmek ne kadar kolay oldu?",
        "zh-Hans": "解决您的问题有多容易？",
        "ta": "உங்கள் சிக்கலைத் தீர்த்துக்கொள்வது எவ்வளவு எளிதாக இருந்தது?",
    },
}


class SurveyError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class TextData:
    language: str
    question: str
    followup_low: str = ""
    followup_mid: str = ""
    followup_high: str = ""
    thank_you: str = ""


@dataclass
class SurveyData:
    kind: str
    name: str
    texts: list[TextData] = field(default_factory=list)
    default_language: str = "en"
    delay_hours: int = 24
    is_active: bool = True
    is_default: bool = False
    brand_colour: str = "#1f6feb"


def save_survey(*, tenant: Tenant, survey: Survey | None, data: SurveyData) -> Survey:
    """Create (``survey`` None) or update a survey and replace its texts, in one transaction. The kind of
    a survey with responses is fixed: its scores were checked against that scale. Making it the default
    takes the flag from the previous default of the kind."""
    if not any(t.language.lower() == data.default_language.lower() for t in data.texts):
        raise SurveyError("default_language", "must be the language of one of the texts")
    with transaction.atomic():
        if survey is None:
            survey = Survey(tenant=tenant)
        elif survey.kind != data.kind and SurveyResponse.objects.filter(tenant=tenant, survey=survey).exists():
            raise SurveyError("kind", "a survey with responses keeps its kind (its scores are on that scale)")
        if data.is_default:
            # Lock the kind's default row so two concurrent saves cannot both clear and set it.
            Survey.objects.filter(tenant=tenant, kind=data.kind, is_default=True).exclude(pk=survey.pk) \
                .select_for_update().update(is_default=False)
        for name in ("kind", "name", "default_language", "delay_hours", "is_active", "is_default", "brand_colour"):
            setattr(survey, name, getattr(data, name))
        survey.save()
        SurveyText.objects.filter(tenant=tenant, survey=survey).delete()
        SurveyText.objects.bulk_create([SurveyText(tenant=tenant, survey=survey, **vars(t)) for t in data.texts])
    return survey


def default_survey(*, tenant: Tenant, kind: str) -> Survey:
    """The tenant's default survey of ``kind``, created (its question in every shipped language, English the
    default) on first use.

    Safe under concurrency by a transaction-level advisory lock per (tenant, kind), not by the partial
    unique constraint alone: save_survey gives the default flag to the survey it saves, so a second first
    use that ran after the first committed would demote the first and make two surveys (CI caught it)."""
    found = Survey.objects.filter(tenant=tenant, kind=kind, is_default=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"surveys.default:{tenant.pk}:{kind}"])
        found = Survey.objects.filter(tenant=tenant, kind=kind, is_default=True).first()  # the lock's winner's
        if found is not None:
            return found
        texts = [TextData(language=language, question=question) for language, question in DEFAULT_TEXTS[kind].items()]
        return save_survey(tenant=tenant, survey=None, data=SurveyData(
            kind=kind, name=DEFAULT_NAMES[kind], is_default=True, texts=texts))


RESPONSE_FIELDS = ("survey_id", "contact_id", "account_id", "ticket_id", "score", "comment", "followup_answer",
                   "submitted_at", "language")


class _Resolver:
    """Surveys and tickets named by the items, each looked up once per batch."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.surveys: dict[str, Survey | None] = {}
        self.tickets: dict[str, int | None] = {}

    def survey(self, ref: str) -> Survey:
        ref = ref.strip()
        if ref not in self.surveys:
            if ref.lower() in Kind.values:
                self.surveys[ref] = default_survey(tenant=self.tenant, kind=ref.lower())
            elif ref.isascii() and ref.isdigit():
                self.surveys[ref] = Survey.objects.filter(tenant=self.tenant, pk=int(ref)).first()
            else:
                self.surveys[ref] = None
        found = self.surveys[ref]
        if found is None:
            raise SurveyError("survey", "no such survey: give a survey id or csat, nps or ces")
        return found

    def ticket_id(self, external_id: str) -> int:
        if external_id not in self.tickets:
            ticket = ticket_by_external_id(tenant=self.tenant, external_id=external_id)
            self.tickets[external_id] = ticket.pk if ticket else None
        found = self.tickets[external_id]
        if found is None:
            raise SurveyError("ticket", "no ticket with this external_id")
        return found


def _values(data: dict, *, resolve: _Resolver, contacts: dict[str, tuple[int, int]]) -> dict:
    """An item's column values, or SurveyError naming the first bad field."""
    survey = resolve.survey(data["survey"])
    if message := score_error(survey.kind, data["score"]):
        raise SurveyError("score", message)
    found = contacts.get(data["contact"])
    if found is None:
        raise SurveyError("contact", "no contact with this external_id")
    ticket = data.get("ticket")
    return {"survey_id": survey.pk, "contact_id": found[0], "account_id": found[1],
            "ticket_id": resolve.ticket_id(ticket) if ticket else None, "score": data["score"],
            "comment": data["comment"], "followup_answer": data["followup_answer"],
            "submitted_at": data.get("submitted_at"), "language": data["language"]}


def _write(*, tenant: Tenant, external_id: str | None, values: dict, now: dt.datetime) -> tuple[str, int]:
    """Store one response: ``created``, ``updated`` or ``duplicate``, with its id. No ``submitted_at``: now for a new
    response, unchanged for a repeat (a retried request must stay a duplicate)."""
    if external_id is not None:
        stored = SurveyResponse.objects.filter(tenant=tenant, external_id=external_id).select_for_update().first()
        if stored is not None:
            if values["submitted_at"] is None:
                values = {**values, "submitted_at": stored.submitted_at}
            if all(getattr(stored, name) == value for name, value in values.items()):
                return "duplicate", stored.pk
            for name, value in values.items():
                setattr(stored, name, value)
            stored.save()
            return "updated", stored.pk
    if values["submitted_at"] is None:
        values = {**values, "submitted_at": now}
    created = SurveyResponse.objects.create(tenant=tenant, external_id=external_id, source=Source.API, **values)
    return "created", created.pk


def record_responses(*, tenant: Tenant, items: Sequence[Any], now: dt.datetime | None = None) -> BulkResult:
    """``POST /survey-responses``: every item validated alone; every valid one written (each in its own
    savepoint, so an item is written whole or not at all); every invalid one reported by its index with
    the fields at fault."""
    from surveys.inputs import ResponseItem

    now = now or timezone.now()
    result = BulkResult()
    validate = ItemValidator(ResponseItem)
    clean: dict[int, dict] = {}
    first_of: dict[str, int] = {}
    for index, raw in enumerate(items):
        data, errors = validate(raw)
        if errors:
            result.reject(index, errors)
            continue
        key = data.get("external_id")
        if key is not None and first_of.setdefault(key, index) != index:
            result.reject(index, [{"field": "external_id",
                                   "message": f"duplicate external_id in this batch (first at index {first_of[key]})"}])
            continue
        clean[index] = data
    contacts = contacts_by_external_id(tenant=tenant, external_ids=(d["contact"] for d in clean.values()))
    resolve = _Resolver(tenant)
    written: list[int] = []
    accounts: set[int] = set()
    with transaction.atomic():
        for index, data in clean.items():
            try:
                values = _values(data, resolve=resolve, contacts=contacts)
                outcome, pk = _write_retrying(tenant=tenant, external_id=data.get("external_id"), values=values,
                                              now=now)
            except SurveyError as exc:
                result.reject(index, [{"field": exc.field, "message": str(exc)}])
            else:
                result.tally(outcome)
                if outcome != "duplicate":
                    written.append(pk)
                    accounts.add(values["account_id"])
        if written:
            follow_up_on_commit(tenant=tenant, response_ids=written)
            mark_dirty(tenant=tenant, account_ids=accounts)  # NPS and CSAT are health inputs
    return result


def follow_up_on_commit(*, tenant: Tenant, response_ids: Sequence[int]) -> None:
    """After the transaction commits, open the closed loop's follow-up tasks for the low ones among
    ``response_ids`` (surveys.loop.services.open_follow_ups). Every writer of responses calls this: a new
    low answer and an edit that turns an answer low both open one; an edit up closes nothing.

    ``robust``: a failure here must not turn a committed answer into an error for its sender; the sweep
    (surveys.loop.tasks, every 10 minutes) opens what was missed."""
    from surveys.loop.services import open_follow_ups

    ids = list(response_ids)
    transaction.on_commit(lambda: open_follow_ups(tenant=tenant, response_ids=ids), robust=True)


def _write_retrying(*, tenant: Tenant, external_id: str | None, values: dict,
                    now: dt.datetime) -> tuple[str, int]:
    # A concurrent request inserting the same external_id makes our insert fail the unique constraint:
    # the second try finds its row and compares with it.
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _write(tenant=tenant, external_id=external_id, values=values, now=now)
        except IntegrityError:
            if external_id is None:
                raise
    raise SurveyError("external_id", "written concurrently by another request; send it again")
