"""Pages of the health alerts: the alert rules (``health.manage``), the playbooks (edit: ``health.manage``;
start by hand: ``health.override``), the tenant's recent alerts and an account's alerts (``health.view``).

Thin views (DESIGN.md): parse with health.alerts.forms, fetch with health.alerts.access / accounts.access,
write through health.alerts.services, read through health.alerts.selectors, render the page or, for htmx,
its partial. Bad input answers 400 with the page and the field's error; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_account_for_tenant
from accounts.permissions import has_permission, requires
from cs_platform.web.pages import render_list, wants_partial
from health.alerts import selectors
from health.alerts.access import get_alertrule_for_tenant, get_playbook_for_tenant, get_playbookstep_for_tenant
from health.alerts.forms import (
    PARAM_PREFIX,
    AccountStartForm,
    AlertFilterForm,
    MoveForm,
    PlaybookForm,
    RuleForm,
    StartForm,
    StepForm,
)
from health.alerts.models import Playbook, RuleKind
from health.alerts.rules import ALERT_COUNT_DEFINITION, KIND_DEFINITIONS, RuleError, describe_params
from health.alerts.services import (
    PlaybookError,
    add_step,
    delete_step,
    ensure_default_rules,
    move_step,
    save_playbook,
    start_playbook,
    update_rule,
    update_step,
)

ALERT_DEFINITIONS = {
    "alert": "An alert is one cause on one account (a rule kind, the account and the episode it names); it "
             "opens one CSM task for the account's CSM. Evaluating again never raises the same cause twice.",
    "raised": "Raised: when the platform saw the cause (the local day it evaluated is the alert's day).",
    "runs": "Runs: the times this playbook was started, by a rule's alert or by hand; each run copies the steps "
            "and opens one task per step, due the start day + the step's offset.",
}


def _kind_footnotes() -> list[tuple[str, str]]:
    return [(RuleKind(kind).label, text) for kind, text in KIND_DEFINITIONS.items()]


# --- rules ---------------------------------------------------------------------------------------------


@require_GET
@requires("health.manage")
def rule_list(request: HttpRequest) -> HttpResponse:
    ensure_default_rules(tenant=request.tenant)
    rules = selectors.rule_list(tenant=request.tenant)
    context = {"rows": [(r, describe_params(r.kind, r.params), KIND_DEFINITIONS[r.kind]) for r in rules],
               "definitions": KIND_DEFINITIONS, "alert_count_definition": ALERT_COUNT_DEFINITION,
               "footnotes": [*_kind_footnotes(), ("Alerts", ALERT_COUNT_DEFINITION)]}
    return render_list(request, "health/alerts/rules.html", context)


def _rule_error(form: RuleForm, error: RuleError) -> None:
    field = error.field.replace("params.", PARAM_PREFIX) if error.field.startswith("params.") else error.field
    form.add_error(field if field in form.fields else None, str(error))


@require_http_methods(["GET", "POST"])
@requires("health.manage")
def rule_edit(request: HttpRequest, alertrule_pk: int) -> HttpResponse:
    rule = get_alertrule_for_tenant(request.tenant, pk=alertrule_pk)
    form = RuleForm(request.POST if request.method == "POST" else None, tenant=request.tenant, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            update_rule(tenant=request.tenant, rule=rule, data=form.to_data())
        except RuleError as error:
            _rule_error(form, error)
        else:
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect("alert-rule-list", tenant_slug=request.tenant.slug)
    context = {"rule": rule, "form": form, "definition": KIND_DEFINITIONS[rule.kind]}
    return render(request, "health/alerts/rule_edit.html", context, status=400 if form.errors else 200)


# --- playbooks -------------------------------------------------------------------------------------------


def _playbooks_page(request: HttpRequest, form: PlaybookForm | None = None) -> HttpResponse:
    context = {"playbooks": selectors.playbook_list(tenant=request.tenant), "form": form or PlaybookForm(),
               "can_manage": has_permission(request, "health.manage"), "definitions": ALERT_DEFINITIONS,
               "footnotes": [("Runs", ALERT_DEFINITIONS["runs"])]}
    status = 400 if form is not None and form.errors else 200
    name = "health/alerts/playbooks.html#results" if wants_partial(request) else "health/alerts/playbooks.html"
    return render(request, name, context, status=status)


@require_GET
@requires("health.override")
def playbook_list(request: HttpRequest) -> HttpResponse:
    return _playbooks_page(request)


@require_POST
@requires("health.manage")
def playbook_add(request: HttpRequest) -> HttpResponse:
    form = PlaybookForm(request.POST)
    if form.is_valid():
        try:
            playbook = save_playbook(tenant=request.tenant, playbook=None, data=form.to_data())
        except PlaybookError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"Playbook “{playbook.name}” created: add its steps.")
            return redirect("playbook-detail", tenant_slug=request.tenant.slug, playbook_pk=playbook.pk)
    return _playbooks_page(request, form)


def _playbook_page(request: HttpRequest, playbook: Playbook, *, form: PlaybookForm | None = None,
                   step_form: StepForm | None = None, start_form: StartForm | None = None,
                   partial: str | None = None, notice: str = "", status: int = 200) -> HttpResponse:
    tenant = request.tenant
    context: dict[str, Any] = {
        "playbook": playbook,
        "steps": selectors.playbook_steps(tenant=tenant, playbook=playbook),
        "can_manage": has_permission(request, "health.manage"),
        "can_start": has_permission(request, "health.override"),
        "form": form or PlaybookForm(initial={"name": playbook.name, "description": playbook.description,
                                              "is_active": playbook.is_active}),
        "step_form": step_form or StepForm(auto_id="id_new_%s"),
        "start_form": start_form or StartForm(tenant=tenant),
        "runs": selectors.playbook_runs(tenant=tenant, playbook=playbook),
        "notice": notice,
        "footnotes": [("Runs", ALERT_DEFINITIONS["runs"])],
    }
    name = "health/alerts/playbook_detail.html"
    if partial and wants_partial(request):
        name += f"#{partial}"
    response = render(request, name, context, status=status)
    response["Vary"] = "HX-Request"
    return response


@require_http_methods(["GET", "POST"])
@requires("health.override")
def playbook_detail(request: HttpRequest, playbook_pk: int) -> HttpResponse:
    playbook = get_playbook_for_tenant(request.tenant, pk=playbook_pk)
    if request.method == "GET":
        return _playbook_page(request, playbook)
    if not has_permission(request, "health.manage"):
        return HttpResponse("Editing a playbook needs the health.manage permission.", status=403)
    form = PlaybookForm(request.POST)
    if form.is_valid():
        try:
            save_playbook(tenant=request.tenant, playbook=playbook, data=form.to_data())
        except PlaybookError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"Playbook “{playbook.name}” saved.")
            return redirect("playbook-detail", tenant_slug=request.tenant.slug, playbook_pk=playbook.pk)
    return _playbook_page(request, playbook, form=form, status=400)


def _steps_answer(request: HttpRequest, playbook: Playbook, notice: str, *,
                  step_form: StepForm | None = None) -> HttpResponse:
    if step_form is not None:
        return _playbook_page(request, playbook, step_form=step_form, partial="steps", status=400)
    if wants_partial(request):
        return _playbook_page(request, playbook, partial="steps", notice=notice)
    messages.success(request, notice)
    return redirect("playbook-detail", tenant_slug=request.tenant.slug, playbook_pk=playbook.pk)


def _step_error(form: StepForm, error: PlaybookError) -> StepForm:
    form.add_error(error.field if error.field in form.fields else None, str(error))
    return form


@require_POST
@requires("health.manage")
def step_add(request: HttpRequest, playbook_pk: int) -> HttpResponse:
    playbook = get_playbook_for_tenant(request.tenant, pk=playbook_pk)
    form = StepForm(request.POST, auto_id="id_new_%s")
    if not form.is_valid():
        return _steps_answer(request, playbook, "", step_form=form)
    try:
        step = add_step(tenant=request.tenant, playbook=playbook, data=form.to_data())
    except PlaybookError as error:
        return _steps_answer(request, playbook, "", step_form=_step_error(form, error))
    return _steps_answer(request, playbook, f"Step {step.position} “{step.title}” added.")


@require_POST
@requires("health.manage")
def step_edit(request: HttpRequest, playbookstep_pk: int) -> HttpResponse:
    step = get_playbookstep_for_tenant(request.tenant, pk=playbookstep_pk)
    form = StepForm(request.POST, auto_id=f"id_s{step.pk}_%s")
    if not form.is_valid():
        return HttpResponse("; ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items()), status=400,
                            content_type="text/plain; charset=utf-8")
    try:
        update_step(tenant=request.tenant, step=step, data=form.to_data())
    except PlaybookError as error:
        return HttpResponse(f"{error.field}: {error}", status=400, content_type="text/plain; charset=utf-8")
    return _steps_answer(request, step.playbook, f"Step {step.position} saved.")


@require_POST
@requires("health.manage")
def step_move(request: HttpRequest, playbookstep_pk: int) -> HttpResponse:
    step = get_playbookstep_for_tenant(request.tenant, pk=playbookstep_pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse("direction: up or down", status=400, content_type="text/plain; charset=utf-8")
    move_step(tenant=request.tenant, step=step, up=form.cleaned_data["direction"] == "up")
    return _steps_answer(request, step.playbook, f"“{step.title}” moved {form.cleaned_data['direction']}.")


@require_POST
@requires("health.manage")
def step_delete(request: HttpRequest, playbookstep_pk: int) -> HttpResponse:
    step = get_playbookstep_for_tenant(request.tenant, pk=playbookstep_pk)
    delete_step(tenant=request.tenant, step=step)
    return _steps_answer(request, step.playbook, f"“{step.title}” deleted.")


def _started(request: HttpRequest, form: Any, field: str, playbook: Playbook, account: Any) -> bool:
    """Start by hand; a refusal (inactive, no steps) becomes the form's error on ``field``."""
    try:
        start_playbook(tenant=request.tenant, playbook=playbook, account=account, by=request.user)
    except PlaybookError as error:
        form.add_error(field, str(error))
        return False
    return True


@require_POST
@requires("health.override")
def playbook_start(request: HttpRequest, playbook_pk: int) -> HttpResponse:
    playbook = get_playbook_for_tenant(request.tenant, pk=playbook_pk)
    form = StartForm(request.POST, tenant=request.tenant)
    if form.is_valid() and _started(request, form, "account", playbook, account := form.cleaned_data["account"]):
        messages.success(request, f"“{playbook.name}” started on {account.name}: one task per step opened.")
        return redirect("playbook-detail", tenant_slug=request.tenant.slug, playbook_pk=playbook.pk)
    return _playbook_page(request, playbook, start_form=form, status=400)


# --- alerts ---------------------------------------------------------------------------------------------


def _alert_rows(request: HttpRequest, alerts: list) -> list[tuple]:
    tasks = selectors.alert_task_ids(tenant=request.tenant, alert_ids=[a.pk for a in alerts])
    return [(a, tasks.get(a.pk)) for a in alerts]


@require_GET
@requires("health.view")
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    kind = form.kind_value()
    alerts = selectors.recent_alerts(tenant=request.tenant, kind=kind)
    counts = selectors.alert_counts_by_kind(tenant=request.tenant)
    context = {"form": form, "kind": kind, "rows": _alert_rows(request, alerts), "limit": selectors.ALERTS_PAGE,
               "kinds": [(value, label, counts[value]) for value, label in RuleKind.choices],
               "definitions": ALERT_DEFINITIONS,
               "footnotes": [("Alert", ALERT_DEFINITIONS["alert"]), ("Raised", ALERT_DEFINITIONS["raised"]),
                             *_kind_footnotes()]}
    return render_list(request, "health/alerts/alerts.html", context)


def _account_alerts(request: HttpRequest, account, *, start_form: AccountStartForm | None = None,
                    notice: str = "", status: int = 200) -> HttpResponse:
    tenant = request.tenant
    alerts = selectors.recent_alerts(tenant=tenant, account_ids=[account.pk], limit=selectors.ACCOUNT_ALERTS)
    can_start = has_permission(request, "health.override")
    context = {"account": account, "rows": _alert_rows(request, alerts), "notice": notice,
               "runs": selectors.playbook_runs(tenant=tenant, account_ids=[account.pk], limit=5),
               "can_start": can_start, "definitions": ALERT_DEFINITIONS,
               "start_form": (start_form or AccountStartForm(tenant=tenant)) if can_start else None}
    return render(request, "health/alerts/_account_alerts.html", context, status=status)


@require_GET
@requires("health.view")
def account_alerts(request: HttpRequest, account_pk: int) -> HttpResponse:
    """The account page's alerts block (a partial it loads), with the start-a-playbook form."""
    return _account_alerts(request, get_account_for_tenant(request.tenant, pk=account_pk))


@require_POST
@requires("health.override")
def account_playbook_start(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_tenant(request.tenant, pk=account_pk)
    form = AccountStartForm(request.POST, tenant=request.tenant)
    if form.is_valid() and _started(request, form, "playbook", playbook := form.cleaned_data["playbook"], account):
        notice = f"“{playbook.name}” started: one task per step opened."
        if wants_partial(request):
            return _account_alerts(request, account, notice=notice)
        messages.success(request, notice)
        return redirect("account-detail", tenant_slug=request.tenant.slug, account_pk=account.pk)
    return _account_alerts(request, account, start_form=form, status=400)

