"""The public survey page, ``/s/<token>/``, and its opt-out, ``/s/<token>/opt-out/`` (no login; surveys.tokens
builds the paths). Thin: parse (surveys.public.forms), find the invitation by its token
(surveys.public.access), then, inside the invitation's tenant scope, call surveys.public.services and render.

- GET shows the question in the invitation's language, the scale, the follow-up of the chosen score's band
  and a comment box. ``?score=N`` is the email's one-click link: the score is recorded on arrival
  (source ``email``), so an answer from the email counts even if the page is never submitted.
- POST submits (source ``page``); a later POST edits the same response until the link expires.
- After expiry: a "this link has expired" page (410), with "you answered on <date>" if it was answered.
  The opt-out works at any time.
- Unknown or malformed token: a clear page, 404. Bad input: the page again, 400, each error naming its
  field in the reader's language (role=alert), nothing written. Too many requests: 429.

Rate limits (django-ratelimit, counters in the default cache): every request per client address; POSTs and
one-click GETs also per token, so one leaked link cannot be hammered from many addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from csp.constants import NONCE
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.tenancy import tenant_scope
from cs_platform.client import client_ip
from surveys.models import MAX_COMMENT, Source
from surveys.public import selectors
from surveys.public.access import UnknownLink, get_invitation_for_token
from surveys.public.forms import NUL, FieldError, parse_answer, parse_score
from surveys.public.services import AnswerRefused, answer_invitation, mark_opened, opt_out
from surveys.public.strings import Chrome, page_language, requested_languages
from surveys.scales import SCALES, bands_of
from surveys.sending.models import Invitation, OptOut
from surveys.tokens import answer_path, opt_out_path

RATE_PER_IP = "30/m"
RATE_PER_TOKEN = "10/m"  # noqa: S105 - a rate, not a secret
FOLLOWUP_FIELDS = ("followup_low", "followup_mid", "followup_high")  # by band, lowest first
SCALE_ENDS = {"nps": ("nps_low", "nps_high"), "csat": ("csat_low", "csat_high"), "ces": ("ces_low", "ces_high")}


def _throttled(request: HttpRequest, token: str) -> bool:
    # Both counters move on every counted request, as the password-reset form's do.
    over_ip = is_ratelimited(request, group="survey-page:ip", key=lambda _g, r: client_ip(r) or "",
                             rate=RATE_PER_IP, increment=True)
    writes = request.method == "POST" or "score" in request.GET
    over_token = writes and is_ratelimited(request, group="survey-page:token", key=lambda _g, _r: token,
                                           rate=RATE_PER_TOKEN, increment=True)
    return over_ip or over_token


def _message(request: HttpRequest, t: Chrome, *, title: str, body: str, status: int, extra: str = "",
             invitation: Invitation | None = None) -> HttpResponse:
    return render(request, "surveys/public/message.html", {
        "t": t, "title": t[title], "body": body, "extra": extra,
        "colour": selectors.brand_colour(invitation) if invitation else ""}, status=status)


def public_link(view: Callable) -> Callable:
    """Throttle, find the invitation by the URL's token and run ``view(request, invitation, token, t)`` inside
    the invitation's tenant scope; an unknown link is the 404 page in the reader's browser language."""

    @wraps(view)
    @never_cache  # the page shows one person's answer: no shared cache keeps it
    @csp_update({"style-src": [NONCE]})  # the survey's brand colour, in a <style> block with the nonce
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        browser = requested_languages(request.headers.get("Accept-Language", ""))
        if _throttled(request, token):
            t = Chrome(page_language(browser))
            return _message(request, t, title="too_many_title", body=t["too_many_body"], status=429)
        try:
            invitation = get_invitation_for_token(token)
        except UnknownLink:
            t = Chrome(page_language(browser))
            return _message(request, t, title="unknown_title", body=t["unknown_body"], status=404)
        with tenant_scope(invitation.tenant):
            return view(request, invitation, token, Chrome(page_language([invitation.language, *browser])))

    return wrapper


def _local_date(invitation: Invitation, when) -> str:
    return timezone.localtime(when, invitation.tenant.zone).date().isoformat()


def _error_messages(t: Chrome, errors: list[FieldError]) -> dict[str, str]:
    return {e.field: f"{t['field_' + e.field]}: {t.format(e.key, **e.params)}" for e in errors}


def _shown(raw: object) -> str:
    """What the reader typed, shown back after an error (bounded, NUL removed: it is refused anyway)."""
    return raw.replace(NUL, "")[:MAX_COMMENT] if isinstance(raw, str) else ""


@require_http_methods(["GET", "POST"])
@public_link
def answer(request: HttpRequest, invitation: Invitation, token: str, t: Chrome) -> HttpResponse:
    now = timezone.now()
    kind = invitation.survey.kind
    if selectors.is_expired(invitation, now=now):
        answered = selectors.invitation_response(invitation=invitation)
        extra = t.format("answered_on", date=_local_date(invitation, answered.submitted_at)) if answered else ""
        return _message(request, t, title="expired_title", body=t["expired_body"], extra=extra, status=410,
                        invitation=invitation)
    mark_opened(invitation=invitation, now=now)
    errors: list[FieldError] = []
    notice = ""
    typed: dict[str, str] = {}
    if request.method == "POST":
        parsed, errors = parse_answer(request.POST, kind=kind)
        typed = {name: _shown(request.POST.get(name)) for name in ("score", "comment", "followup_answer")}
        if parsed is not None:
            try:
                answer_invitation(invitation=invitation, score=parsed.score, comment=parsed.comment,
                                  followup_answer=parsed.followup_answer, source=Source.PAGE, now=now)
                notice = "thanks"
            except AnswerRefused as exc:
                errors = [FieldError(exc.field, exc.key, exc.params)]
    elif "score" in request.GET:
        score, error = parse_score(request.GET.get("score"), kind=kind)
        if error is not None:
            errors = [error]
        else:
            try:
                answer_invitation(invitation=invitation, score=score, comment=None, followup_answer=None,
                                  source=Source.EMAIL, now=now)
                notice = "recorded_score"
            except AnswerRefused as exc:
                errors = [FieldError(exc.field, exc.key, exc.params)]
    state = selectors.page_state(invitation=invitation)
    return render(request, "surveys/public/answer.html",
                  _answer_context(t, invitation, token, state, errors=errors, notice=notice, typed=typed),
                  status=400 if errors else 200)


def _answer_context(t: Chrome, invitation: Invitation, token: str, state: selectors.PageState, *,
                    errors: list[FieldError], notice: str, typed: dict[str, str]) -> dict:
    kind = invitation.survey.kind
    scale = SCALES[kind]
    response = state.response
    text = state.text
    chosen = response.score if response is not None else None
    typed_score, _ = parse_score(typed.get("score"), kind=kind)  # a good score next to a bad comment stays chosen
    if typed_score is not None:
        chosen = typed_score
    followups = {band: getattr(text, name, "") if text else ""
                 for band, name in zip(bands_of(kind), FOLLOWUP_FIELDS, strict=True)}
    choices = [{"value": s, "checked": s == chosen, "followup": followups[scale.band(s)]}
               for s in range(scale.low, scale.high + 1)]
    low_key, high_key = SCALE_ENDS[kind]
    messages = _error_messages(t, errors)
    if notice == "thanks":
        notice_text = (text.thank_you if text and text.thank_you else t["thanks"])
    elif notice == "recorded_score":
        notice_text = t.format("recorded_score", score=chosen)
    else:
        notice_text = ""
    until = selectors.expires_at(invitation)
    return {
        "t": t, "invitation": invitation, "text": text, "colour": state.brand_colour, "logo": state.logo_url,
        "choices": choices,
        "scale_low": t.format("scale_end", score=scale.low, label=t[low_key]),
        "scale_high": t.format("scale_end", score=scale.high, label=t[high_key]),
        "max_comment": MAX_COMMENT,
        "followup": followups[scale.band(chosen)] if chosen is not None else "",
        "errors": messages, "notice": notice_text,
        "editable_until": t.format("editable_until", date=_local_date(invitation, until)) if response else "",
        "comment": typed.get("comment", response.comment if response else ""),
        "followup_answer": typed.get("followup_answer", response.followup_answer if response else ""),
        "action": answer_path(token), "opt_out_url": opt_out_path(token) + "?from=page",
        "submit": t["update"] if response else t["submit"],
        "title": text.question if text else t["page_title"],
        "from_tenant": t.format("from_tenant", tenant=invitation.tenant.name),
        "about_ticket": t.format("about_ticket", subject=state.ticket_subject) if state.ticket_subject else "",
    }


@csrf_exempt  # RFC 8058: a mail client's one-click unsubscribe POSTs without our form; the token is the key
@require_http_methods(["GET", "POST"])
@public_link
def opt_out_page(request: HttpRequest, invitation: Invitation, token: str, t: Chrome) -> HttpResponse:
    """A confirm button (a GET changes nothing: mail scanners open links), then the opt-out. Works after
    the link expired: a person who wants no more mail must always be able to say so. Without CSRF: a
    forged request would need the token, which is all an opt-out needs anyway, and the mail clients'
    one-click unsubscribe (``List-Unsubscribe-Post``) posts ``List-Unsubscribe=One-Click`` with no form."""
    done = t.format("opt_out_done", tenant=invitation.tenant.name)
    if request.method == "POST":
        source = OptOut.Source.PAGE if request.POST.get("source") == "page" else OptOut.Source.EMAIL
        opt_out(invitation=invitation, source=source)
        return _message(request, t, title="opt_out_title", body=done, status=200, invitation=invitation)
    if selectors.is_opted_out(invitation=invitation):
        return _message(request, t, title="opt_out_title", body=done, status=200, invitation=invitation)
    return render(request, "surveys/public/opt_out.html", {
        "t": t, "colour": selectors.brand_colour(invitation), "action": opt_out_path(token),
        "source": "page" if request.GET.get("from") == "page" else "email",
        "body": t.format("opt_out_body", tenant=invitation.tenant.name),
        "back": None if selectors.is_expired(invitation, now=timezone.now()) else answer_path(token)})
