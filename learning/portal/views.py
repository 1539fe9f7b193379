"""The learner portal's pages (no staff login: learning.portal.sessions). Thin: parse (learning.portal.forms),
fetch through the learner (learning.portal.access), call learning.progress / learning.portal.services, render.

- ``/learn/link/<token>/``: GET shows "Continue" while the link is usable and never spends it (mail scanners
  open links); POST spends it, starts the learner session and goes to ``/learn/``. A used or expired link:
  410 with a form asking for a new one; an unknown one: 404.
- ``/learn/<tenant>/sign-in/``: an email form; the answer is the same whether the address is known or not.
- ``/learn/``, ``/learn/paths/<id>/``, ``.../steps/<key>/``, ``.../certificate/``: the signed-in learner's own
  enrollments only (403 "signed out" without a session; another learner's or tenant's id: 404).
- ``/certificates/<code>/``: public verification of a completion certificate.

Rate limits (django-ratelimit, counters in the default cache, as the survey page's): every request per
client address; sign-in requests also per address and per email, so nobody can flood one inbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.selectors import tenant_by_slug
from accounts.tenancy import tenant_scope
from cs_platform.client import client_ip
from learning import events as learning_events
from learning.links import find_link, usable_link
from learning.models import Enrollment, EnrollmentStatus, Step, StepKind
from learning.portal import selectors
from learning.portal.access import certificate_by_code, enrollment_for, step_for
from learning.portal.forms import FieldError, parse_email, parse_quiz, question_field
from learning.portal.services import request_sign_in
from learning.portal.sessions import Learner, current_learner, end_session, learner_required, sign_in_with_link
from learning.portal.strings import portal_chrome
from learning.progress import ProgressError, complete_step, submit_quiz
from surveys.public.strings import Chrome, requested_languages

if TYPE_CHECKING:
    from accounts.models import Tenant

RATE_PER_IP = "60/m"  # the task page polls every 10 s: 6 a minute
RATE_SIGN_IN_PER_IP = "10/m"
RATE_SIGN_IN_PER_EMAIL = "5/h"
TASK_TARGET = "task-state"  # the product task's live state, polled by htmx


def _browser(request: HttpRequest) -> list[str]:
    return requested_languages(request.headers.get("Accept-Language", ""))


def _over(request: HttpRequest, group: str, rate: str, key: str) -> bool:
    return is_ratelimited(request, group=group, key=lambda _g, _r: key, rate=rate, increment=True)


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render a portal page; a signed-in learner's pages say who is signed in (beside "Sign out")."""
    learner = context.get("learner")
    if learner is not None:
        name = learner.contact.name or learner.contact.email
        context = context | {"signed_in": context["t"].format("signed_in_as", name=name)}
    return render(request, template, context, status=status)


def _message(request: HttpRequest, t: Chrome, *, title: str, body: str, status: int,
             sign_in_tenant: Tenant | None = None, learner: Learner | None = None) -> HttpResponse:
    return _render(request, "learning/portal/message.html", {
        "t": t, "title": t[title], "body": body, "learner": learner,
        "sign_in_action": reverse("learner-sign-in", args=[sign_in_tenant.slug]) if sign_in_tenant else ""},
        status=status)


def _too_many(request: HttpRequest, t: Chrome) -> HttpResponse:
    return _message(request, t, title="too_many_title", body=t["too_many_body"], status=429)


def _throttled(request: HttpRequest) -> bool:
    return _over(request, "learner-portal:ip", RATE_PER_IP, client_ip(request) or "")


def _signed_out(request: HttpRequest) -> HttpResponse:
    t = portal_chrome(_browser(request))
    return _message(request, t, title="signed_out_title", body=t["signed_out_body"], status=403)


def portal_page(view: Callable) -> Callable:
    """Throttle, require a learner session and run ``view(request, learner, t, **kwargs)`` inside the learner's
    tenant scope, in the contact's language (then the browser's)."""

    @learner_required(_signed_out)
    def with_learner(request: HttpRequest, learner: Learner, **kwargs) -> HttpResponse:
        return view(request, learner, portal_chrome([learner.contact.language, *_browser(request)]), **kwargs)

    @wraps(view)
    @never_cache  # one person's progress: no shared cache keeps it
    def wrapper(request: HttpRequest, **kwargs) -> HttpResponse:
        if _throttled(request):
            return _too_many(request, portal_chrome(_browser(request)))
        return with_learner(request, **kwargs)

    return wrapper


def _local(tenant: Tenant, when: dt.datetime | str | None, *, with_time: bool = False) -> str:
    """A time as the tenant's local date (and minute); evidence keeps times as ISO text."""
    if isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when)
        except ValueError:
            return when[:40]
    if when is None:
        return ""
    local = timezone.localtime(when, tenant.zone) if timezone.is_aware(when) else when
    return local.strftime("%Y-%m-%d %H:%M") if with_time else local.date().isoformat()


# --- signing in and out ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, link_token: str) -> HttpResponse:
    browser = _browser(request)
    if _throttled(request):
        return _too_many(request, portal_chrome(browser))
    if request.method == "POST":
        response = redirect("learner-home")
        response.status_code = 303
        if sign_in_with_link(request, response, link_token) is not None:
            return response
    else:
        usable = usable_link(link_token)
        if usable is not None:
            t = portal_chrome([usable.contact.language, *browser])
            return _render(request, "learning/portal/link.html", {
                "t": t, "action": request.path, "from_tenant": t.format("from_tenant", tenant=usable.tenant.name)})
    found = find_link(link_token)
    if found is None:
        t = portal_chrome(browser)
        return _message(request, t, title="unknown_title", body=t["unknown_body"], status=404)
    t = portal_chrome([found.contact.language, *browser])
    return _message(request, t, title="expired_title", body=t["expired_body"], status=410, sign_in_tenant=found.tenant)


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, learner_tenant_slug: str) -> HttpResponse:
    t = portal_chrome(_browser(request))
    if _throttled(request):
        return _too_many(request, t)
    tenant = tenant_by_slug(slug=learner_tenant_slug)
    if tenant is None:
        return _message(request, t, title="unknown_title", body=t["unknown_body"], status=404)
    context = {"t": t, "action": request.path, "intro": t.format("sign_in_intro", tenant=tenant.name),
               "from_tenant": t.format("from_tenant", tenant=tenant.name), "errors": {}, "email": ""}
    if request.method == "GET":
        return _render(request, "learning/portal/sign_in.html", context)
    if _over(request, "learner-sign-in:ip", RATE_SIGN_IN_PER_IP, client_ip(request) or ""):
        return _too_many(request, t)
    email, error = parse_email(request.POST.get("email"))
    if error is not None:
        raw = request.POST.get("email")
        context |= {"errors": _messages(t, [error]), "email": raw[:254].replace("\x00", "") if raw else ""}
        return _render(request, "learning/portal/sign_in.html", context, status=400)
    if _over(request, f"learner-sign-in:email:{tenant.pk}", RATE_SIGN_IN_PER_EMAIL, email):
        return _too_many(request, t)
    with tenant_scope(tenant):
        request_sign_in(tenant=tenant, email=email)
    return _message(request, t, title="sign_in_title", body=t["sign_in_sent"], status=200)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    learner = current_learner(request)
    t = portal_chrome([learner.contact.language if learner else None, *_browser(request)])
    response = _message(request, t, title="signed_out_title", body=t["signed_out_body"], status=200)
    if learner is not None:
        end_session(learner, response)
    return response


def _messages(t: Chrome, errors: list[FieldError]) -> dict[str, str]:
    return {e.field: t.format(e.key, **e.params) for e in errors}


# --- my paths, a path, a step ---------------------------------------------------------------------------


def _status_label(t: Chrome, enrollment: Enrollment) -> str:
    return t[f"status_{enrollment.status}"] if enrollment.status != EnrollmentStatus.WITHDRAWN else ""


@require_http_methods(["GET"])
@portal_page
def home(request: HttpRequest, learner: Learner, t: Chrome) -> HttpResponse:
    rows = selectors.my_paths(learner)
    tenant = learner.tenant
    paths = [{
        "row": row, "status": _status_label(t, row.enrollment),
        "progress": t.format("progress", done=row.done, total=row.steps),
        "completed_on": t.format("completed_on", date=_local(tenant, row.enrollment.completed_at))
        if row.enrollment.status == EnrollmentStatus.COMPLETED else "",
    } for row in rows]
    return _render(request, "learning/portal/home.html", {"t": t, "learner": learner, "paths": paths})


@require_http_methods(["GET"])
@portal_page
def path_detail(request: HttpRequest, learner: Learner, t: Chrome, enrollment_pk: int) -> HttpResponse:
    enrollment = enrollment_for(learner, enrollment_pk)
    selectors.touch_activity(enrollment)
    rows = selectors.path_steps(enrollment)
    steps = [{"row": row, "kind": t[f"kind_{row.step.kind}"],
              "state": t.format("state_done", date=_local(learner.tenant, row.done_at)) if row.done_at
              else t["state_current"] if row.current else t["state_todo"]} for row in rows]
    done = sum(1 for row in rows if row.done_at)
    return _render(request, "learning/portal/path.html", {
        "t": t, "learner": learner, "enrollment": enrollment, "steps": steps,
        "status": _status_label(t, enrollment), "progress": t.format("progress", done=done, total=len(rows)),
        "done": done, "total": len(rows),
        "version": t.format("version", number=enrollment.version.number),
        "newer_version": t.format("newer_version", number=enrollment.version.number)
        if selectors.newer_version_exists(enrollment) else "",
        "completed_on": t.format("completed_on", date=_local(learner.tenant, enrollment.completed_at))
        if enrollment.status == EnrollmentStatus.COMPLETED else ""})


def _step_url(enrollment: Enrollment, key: str) -> str:
    return reverse("learner-step", args=[enrollment.pk, key])


def _after(enrollment: Enrollment, step: Step) -> HttpResponse:
    """After a step is done: the next step not done, else the path (303, so a reload does not post again)."""
    following = selectors.next_step_key(enrollment, step)
    response = redirect(_step_url(enrollment, following) if following
                        else reverse("learner-path", args=[enrollment.pk]))
    response.status_code = 303
    return response


@portal_page
@require_http_methods(["GET", "POST"])
def step_detail(request: HttpRequest, learner: Learner, t: Chrome, enrollment_pk: int,
                step_key: str) -> HttpResponse:
    enrollment = enrollment_for(learner, enrollment_pk)
    step = step_for(enrollment, step_key)
    if step.kind == StepKind.QUIZ:
        return _quiz(request, learner, t, enrollment, step)
    if step.kind == StepKind.PRODUCT_TASK:
        if request.method == "POST":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        return _task(request, learner, t, enrollment, step)
    if request.method == "POST":
        evidence = {"kind": step.kind} | ({"article_id": step.article_id} if step.article_id else {})
        try:
            complete_step(tenant=learner.tenant, enrollment=enrollment, step=step, evidence=evidence)
        except ProgressError as exc:
            return _step_page(request, learner, t, enrollment, step, status=409,
                              errors={exc.field or "step": t.format("error_refused", reason=str(exc))})
        return _after(enrollment, step)
    selectors.touch_activity(enrollment)
    return _step_page(request, learner, t, enrollment, step)


def _step_page(request: HttpRequest, learner: Learner, t: Chrome, enrollment: Enrollment, step: Step, *,
               status: int = 200, **extra) -> HttpResponse:
    done = selectors.step_progress(enrollment, step)
    return _render(request, "learning/portal/step.html", {
        "t": t, "learner": learner, "enrollment": enrollment, "step": step, "kind": t[f"kind_{step.kind}"],
        "done": t.format("step_done", date=_local(learner.tenant, done.done_at)) if done else "",
        "path_url": reverse("learner-path", args=[enrollment.pk]),
        "next_url": _step_url(enrollment, key) if (key := selectors.next_step_key(enrollment, step)) else "",
        "errors": {}, **extra}, status=status)


def _quiz(request: HttpRequest, learner: Learner, t: Chrome, enrollment: Enrollment, step: Step) -> HttpResponse:
    state = selectors.quiz_state(enrollment, step)
    if request.method == "GET":
        selectors.touch_activity(enrollment)
        return _quiz_page(request, learner, t, enrollment, step, state, result=state.last)
    if state.passed or state.exhausted:
        return _quiz_page(request, learner, t, enrollment, step, state, result=state.last, status=409)
    answers, errors = parse_quiz(request.POST, step.quiz)
    if errors:
        return _quiz_page(request, learner, t, enrollment, step, state, errors=errors, status=400)
    try:
        result = submit_quiz(tenant=learner.tenant, enrollment=enrollment, step=step, answers=answers)
    except ProgressError as exc:  # a concurrent attempt used the last one, or passed it
        return _quiz_page(request, learner, t, enrollment, step, selectors.quiz_state(enrollment, step),
                          errors=[FieldError(exc.field or "answers", "error_refused", {"reason": str(exc)})],
                          status=409)
    shown = selectors.StoredAttempt(score=result.score, passed=result.passed, number=result.attempt,
                                    questions=result.questions)
    return _quiz_page(request, learner, t, enrollment, step, selectors.quiz_state(enrollment, step), result=shown,
                      chosen=answers)


def _quiz_page(request: HttpRequest, learner: Learner, t: Chrome, enrollment: Enrollment, step: Step,
               state: selectors.QuizState, *, result: selectors.StoredAttempt | None = None,
               errors: list[FieldError] = (), chosen: list[list[int]] | None = None, status: int = 200) -> HttpResponse:
    quiz = step.quiz
    messages = _messages(t, list(errors))
    if chosen is None and request.method == "POST":  # a refused form keeps what was ticked
        chosen = [[int(v) for v in request.POST.getlist(question_field(i))[:10] if v.isascii() and v.isdigit()]
                  for i in range(len(quiz["questions"]))]
    questions = []
    for index, question in enumerate(quiz["questions"]):
        picked = set(chosen[index]) if chosen and index < len(chosen) else set()
        outcome = result.questions[index] if result and index < len(result.questions) else None
        questions.append({
            "index": index, "field": question_field(index), "text": question["text"],
            "label": t.format("question_n", n=index + 1), "multiple": question["multiple"],
            "error": messages.get(question_field(index), ""),
            "choices": [{"value": ci, "text": c["text"], "checked": ci in picked}
                        for ci, c in enumerate(question["choices"])],
            "outcome": outcome})
    if state.passed:
        left = ""
    elif state.exhausted:
        left = t["attempts_used_up"]
    elif state.attempts_left is None:
        left = t["attempts_unlimited"]
    else:
        left = t.format("attempts_left", n=state.attempts_left)
    return _render(request, "learning/portal/quiz.html", {
        "t": t, "learner": learner, "enrollment": enrollment, "step": step, "kind": t["kind_quiz"],
        "questions": questions, "errors": {k: v for k, v in messages.items() if not k.startswith("q-")},
        "has_errors": bool(messages), "state": state, "result": result, "attempts_text": left,
        "result_text": t.format("result_score", attempt=result.number, score=result.score) if result else "",
        "passing": t.format("passing_score", score=quiz["passing_score"]),
        "can_submit": not state.passed and not state.exhausted,
        "path_url": reverse("learner-path", args=[enrollment.pk]),
        "next_url": _step_url(enrollment, key) if state.passed and (key := selectors.next_step_key(enrollment, step))
        else ""}, status=status)


def _task(request: HttpRequest, learner: Learner, t: Chrome, enrollment: Enrollment, step: Step) -> HttpResponse:
    state = learning_events.task_state(tenant=learner.tenant, enrollment=enrollment, step=step)
    context = {"t": t, "learner": learner, "enrollment": enrollment, "step": step, "kind": t["kind_product_task"],
               "task": _task_view(t, learner.tenant, step, state), "target": TASK_TARGET,
               "path_url": reverse("learner-path", args=[enrollment.pk])}
    if request.htmx and request.htmx.target == TASK_TARGET:  # the poll: the state alone, no visit counted
        return _render(request, "learning/portal/_task_state.html", context)
    selectors.touch_activity(enrollment)
    following = selectors.next_step_key(enrollment, step) if state.done else None
    context["next_url"] = _step_url(enrollment, following) if following else ""
    return _render(request, "learning/portal/task.html", context)


def _task_view(t: Chrome, tenant: Tenant, step: Step, state: learning_events.TaskState) -> dict:
    """What the learner reads about a product task: done with its evidence, or what it waits for and why the
    latest near miss did not count."""
    wanted = [t.format("task_wanted", field=k, value=learning_events.match_text(v))
              for k, v in (step.event_match or {}).items()]
    view = {"done": state.done, "wanted": wanted, "waiting": t.format("task_waiting", event=step.event_name)}
    if state.done:
        evidence = state.evidence or {}
        event = evidence.get("event_name")
        when = _local(tenant, evidence.get("occurred_at") or state.done_at, with_time=True)
        view["done_text"] = (t.format("task_done", event=event, time=when) if event
                             else t.format("task_done_other", time=when))
    miss = state.near_miss
    if miss and not state.done:
        view["near_miss"] = t.format("task_near_miss", event=miss.get("event_name") or step.event_name,
                                     time=_local(tenant, miss.get("occurred_at"), with_time=True))
        view["mismatches"] = [_mismatch(t, item) for item in (miss.get("mismatches") or [])[:20]]
    return view


def _mismatch(t: Chrome, item) -> str:
    """One failed pair of the match: ``(key, wanted, got)`` (learning.events.mismatches) or its dict."""
    if isinstance(item, dict):
        key, wanted, got = item.get("key"), item.get("wanted"), item.get("got")
    else:
        key, wanted, got = (list(item) + [None, None, None])[:3]
    if got is None:
        return t.format("mismatch_missing", field=key, wanted=wanted)
    return t.format("mismatch", field=key, wanted=wanted, got=got)


# --- certificates ---------------------------------------------------------------------------------------


def _certificate_context(t: Chrome, request: HttpRequest, enrollment: Enrollment, tenant: Tenant) -> dict:
    return {
        "t": t, "enrollment": enrollment,
        "body": t.format("certificate_body", name=enrollment.contact.name or enrollment.contact.email,
                         path=enrollment.path.name, number=enrollment.version.number,
                         date=_local(tenant, enrollment.completed_at)),
        "issuer": t.format("certificate_issuer", tenant=tenant.name),
        "verify_url": request.build_absolute_uri(reverse("certificate-verify", args=[enrollment.certificate_code])),
    }


@require_http_methods(["GET"])
@portal_page
def certificate(request: HttpRequest, learner: Learner, t: Chrome, enrollment_pk: int) -> HttpResponse:
    enrollment = enrollment_for(learner, enrollment_pk)
    if enrollment.status != EnrollmentStatus.COMPLETED or not enrollment.certificate_code:
        return _message(request, t, title="certificate_unknown_title", body=t["certificate_unknown_body"],
                        status=404, learner=learner)
    enrollment.contact = learner.contact
    return _render(request, "learning/portal/certificate.html",
                  _certificate_context(t, request, enrollment, learner.tenant) | {"learner": learner})


@never_cache
@require_http_methods(["GET"])
def certificate_verify(request: HttpRequest, certificate_code: str) -> HttpResponse:
    t = portal_chrome(_browser(request))
    if _throttled(request):
        return _too_many(request, t)
    enrollment = certificate_by_code(certificate_code)
    if enrollment is None:
        return _message(request, t, title="certificate_unknown_title", body=t["certificate_unknown_body"],
                        status=404)
    return _render(request, "learning/portal/certificate.html",
                  _certificate_context(t, request, enrollment, enrollment.tenant) | {"public": True})
