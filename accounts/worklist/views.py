"""CSM task pages: the task list (filters: mine, open/snoozed/done, overdue), a task with its comments and
history, complete / reopen by POST, and the task page's forms (snooze, comment, reassign, due day). From htmx
(the list, the home's "My tasks", the account page) complete / reopen answer the task's refreshed row, which
replaces the old one; without htmx they redirect back. A refused form answers the task page again, 400,
with the error beside its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import has_permission, requires
from accounts.selectors import csm_users, tenant_today
from accounts.worklist import selectors, services
from accounts.worklist.access import get_task_for_tenant
from accounts.worklist.forms import AssigneeForm, CommentForm, DueForm, SnoozeForm, TaskFilterForm
from accounts.worklist.models import CsmTask
from accounts.worklist.services import TaskError, complete_task, reopen_task
from accounts.worklist.sources import task_source
from cs_platform.web.pages import paginate, render_list, wants_partial


@require_GET
@requires("tasks.view")
def task_list(request: HttpRequest) -> HttpResponse:
    form = TaskFilterForm(request.GET or None, role=request.membership.role)
    form.is_valid()  # invalid fields are left out of cleaned_data: ignored, and their errors shown
    today = tenant_today(request.tenant)
    tasks = selectors.task_list(tenant=request.tenant, today=today, **form.selector_kwargs(user=request.user))
    return render_list(request, "accounts/worklist/task_list.html", {
        "form": form, "page": paginate(request, tasks), "today": today, "definitions": selectors.DEFINITIONS,
        "can_work": has_permission(request, "tasks.work")})


def _detail(request: HttpRequest, task: CsmTask, *, refused: forms.Form | None = None) -> HttpResponse:
    can_work = has_permission(request, "tasks.work")
    page_forms: dict[str, Any] = {}
    if can_work:
        page_forms = {"snooze_form": SnoozeForm(initial={"until": task.snoozed_until}),
                      "comment_form": CommentForm(),
                      "due_form": DueForm(initial={"due_on": task.due_on}),
                      "assignee_form": AssigneeForm(initial={"assignee": task.assignee_id},
                                                    users=csm_users(request.tenant))}
        if refused is not None:
            page_forms[{SnoozeForm: "snooze_form", CommentForm: "comment_form", DueForm: "due_form",
                        AssigneeForm: "assignee_form"}[type(refused)]] = refused
    return render(request, "accounts/worklist/task_detail.html", {
        "task": task, "history": selectors.task_history(tenant=request.tenant, task=task),
        "comments": selectors.task_comments(tenant=request.tenant, task=task),
        "source": task_source(request.tenant.slug, task), "definitions": selectors.DEFINITIONS,
        "today": tenant_today(request.tenant), "can_work": can_work, **page_forms},
        status=400 if refused is not None else 200)


@require_GET
@requires("tasks.view")
def task_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _detail(request, get_task_for_tenant(request.tenant, pk=task_pk))


def _answer(request: HttpRequest, task: CsmTask, message: str) -> HttpResponse:
    if wants_partial(request):
        response = render(request, "accounts/worklist/_task_row.html", {
            "t": task, "today": tenant_today(request.tenant), "can_work": True})
        response["Vary"] = "HX-Request"
        return response
    messages.success(request, message)
    # Back to the page the button was on: a path of this site only (redirect() would read a bare word as a
    # view name, and an absolute URL elsewhere would make this an open redirect).
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                                require_https=request.is_secure()):
        return HttpResponseRedirect(back)
    return redirect("task-detail", tenant_slug=request.tenant.slug, task_pk=task.pk)


def _change(request: HttpRequest, task_pk: int, change, done: str) -> HttpResponse:
    task = change(tenant=request.tenant, task=get_task_for_tenant(request.tenant, pk=task_pk), by=request.user)
    # Read again through the access helper: the row shows the related names the service did not load.
    return _answer(request, get_task_for_tenant(request.tenant, pk=task.pk), f"Task “{task.title}” {done}.")


@require_POST
@requires("tasks.work")
def task_complete(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _change(request, task_pk, complete_task, "done")


@require_POST
@requires("tasks.work")
def task_reopen(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _change(request, task_pk, reopen_task, "reopened")


def _form_view(make_form: Callable[[HttpRequest], forms.Form],
               change: Callable[[HttpRequest, CsmTask, dict[str, Any]], Any], done: str) -> Callable:
    """A POST view of the task page: validate the form, call the service (a TaskError lands on the field it
    names, the page answers 400), or redirect to the task."""

    @require_POST
    @requires("tasks.work")
    def view(request: HttpRequest, task_pk: int) -> HttpResponse:
        task = get_task_for_tenant(request.tenant, pk=task_pk)
        form = make_form(request)
        if form.is_valid():
            try:
                change(request, task, form.cleaned_data)
            except TaskError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, f"Task “{task.title}” {done}.")
                return redirect("task-detail", tenant_slug=request.tenant.slug, task_pk=task.pk)
        return _detail(request, task, refused=form)

    return view


task_snooze = _form_view(
    lambda request: SnoozeForm(request.POST),
    lambda request, task, data: services.snooze_task(tenant=request.tenant, task=task, until=data["until"],
                                                     by=request.user), "snoozed")
task_comment = _form_view(
    lambda request: CommentForm(request.POST),
    lambda request, task, data: services.add_comment(tenant=request.tenant, task=task, body=data["comment"],
                                                     by=request.user), "commented")
task_due = _form_view(
    lambda request: DueForm(request.POST),
    lambda request, task, data: services.change_due_day(tenant=request.tenant, task=task, due_on=data["due_on"],
                                                        by=request.user), "moved")
task_assign = _form_view(
    lambda request: AssigneeForm(request.POST, users=csm_users(request.tenant)),
    lambda request, task, data: services.reassign_task(tenant=request.tenant, task=task, assignee=data["assignee"],
                                                       by=request.user), "reassigned")
