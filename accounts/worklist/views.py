"""CSM task pages: the task list (filters: mine, open/done, overdue), a task with its history, and
complete / reopen by POST. From htmx (the list, the home's "My tasks", the account page) a POST answers the
task's refreshed row, which replaces the old one; without htmx it redirects back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import has_permission, requires
from accounts.selectors import tenant_today
from accounts.worklist import selectors
from accounts.worklist.access import get_task_for_tenant
from accounts.worklist.forms import TaskFilterForm
from accounts.worklist.models import CsmTask
from accounts.worklist.services import complete_task, reopen_task
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


@require_GET
@requires("tasks.view")
def task_detail(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = get_task_for_tenant(request.tenant, pk=task_pk)
    return render(request, "accounts/worklist/task_detail.html", {
        "task": task, "history": selectors.task_history(tenant=request.tenant, task=task),
        "today": tenant_today(request.tenant), "can_work": has_permission(request, "tasks.work")})


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
