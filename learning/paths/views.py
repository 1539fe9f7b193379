"""Authoring pages of learning paths (issue 13): the list, a path's page (settings, the draft's steps editor,
versions, images, publish / unpublish / migrate), the settings and step forms, confirmations, the learner
preview, and the public lesson image file. Thin: parse a form, fetch through learning.paths.access, call
learning.paths.services, render.

The steps editor's move and delete buttons post with htmx and get the page's ``steps`` partial back (the
same view answers a redirect to the whole page without JS)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import has_permission, requires
from cs_platform.web.images import public_image_response
from cs_platform.web.pages import wants_partial
from learning.models import LearningPath, StepKind
from learning.paths import selectors, services
from learning.paths.access import get_draft_step_for_tenant, get_path_for_tenant, get_version_for_tenant
from learning.paths.forms import STEP_ALIASES, STEP_FORMS, LessonImageForm, PathForm, add_service_error
from learning.paths.images import markdown_snippet, public_path
from learning.paths.services import LearningError

DETAIL = "learning/paths/path_detail.html"


@require_GET
@requires("learning.view")
def path_list(request: HttpRequest) -> HttpResponse:
    paths = list(selectors.path_list(tenant=request.tenant))
    rows = [(p, selectors.targeting_summary(p)) for p in paths]
    return render(request, "learning/paths/path_list.html", {
        "rows": rows, "definitions": selectors.DEFINITIONS, "can_manage": has_permission(request, "learning.manage")})


def _path_form_page(request: HttpRequest, path: LearningPath | None) -> HttpResponse:
    tenant = request.tenant
    data = request.POST if request.method == "POST" else None
    rule = selectors.rule_of(tenant=tenant, path=path) if path is not None else None
    form = PathForm(data, path=path, rule=rule,
                    prerequisites=selectors.prerequisite_choices(tenant=tenant, path=path),
                    requires=selectors.prerequisites_of(tenant=tenant, path=path) if path else [],
                    in_use=selectors.existing_targeting_values(tenant=tenant))
    if data is not None and form.is_valid():
        try:
            saved = services.save_path(tenant=tenant, path=path, data=form.path_data())
        except LearningError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Path “{saved.name}” saved.")
            return redirect("learning-path-detail", tenant_slug=tenant.slug, learningpath_pk=saved.pk)
    return render(request, "learning/paths/path_form.html", {"form": form, "path": path},
                  status=400 if data is not None else 200)


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def path_create(request: HttpRequest) -> HttpResponse:
    return _path_form_page(request, None)


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def path_edit(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    return _path_form_page(request, get_path_for_tenant(request.tenant, pk=learningpath_pk))


def _detail(request: HttpRequest, path: LearningPath, *, image_form: LessonImageForm | None = None,
            status: int = 200, error: str = "") -> HttpResponse:
    tenant = request.tenant
    images = selectors.images_of(tenant=tenant, path=path)
    context = {
        "path": path, "steps": selectors.draft_steps(tenant=tenant, path=path),
        "versions": selectors.versions_of(tenant=tenant, path=path),
        "counts": selectors.learner_counts(tenant=tenant, path=path), "definitions": selectors.DEFINITIONS,
        "requires": selectors.prerequisites_of(tenant=tenant, path=path),
        "rule": selectors.rule_of(tenant=tenant, path=path), "kinds": StepKind.choices,
        "images": [(i, public_path(tenant=tenant, image=i), markdown_snippet(tenant=tenant, image=i,
                                                                             alt="describe the image"))
                   for i in images],
        "image_form": image_form or LessonImageForm(), "error": error,
        "can_manage": has_permission(request, "learning.manage")}
    template = f"{DETAIL}#steps" if wants_partial(request) else DETAIL
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


@require_GET
@requires("learning.view")
def path_detail(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    return _detail(request, get_path_for_tenant(request.tenant, pk=learningpath_pk))


def _back_to_detail(request: HttpRequest, path: LearningPath, message: str) -> HttpResponse:
    if wants_partial(request):
        return _detail(request, path)
    messages.success(request, message)
    return redirect("learning-path-detail", tenant_slug=request.tenant.slug, learningpath_pk=path.pk)


# ------------------------------------------------------------------------------------------ the steps editor


def _step_form_page(request: HttpRequest, path: LearningPath, step=None) -> HttpResponse:
    tenant = request.tenant
    kind = step.kind if step is not None else request.GET.get("kind", StepKind.LESSON)
    if kind not in STEP_FORMS:
        return HttpResponse(f"kind: one of {', '.join(STEP_FORMS)}", status=400, content_type="text/plain")
    form_class = STEP_FORMS[kind]
    extra = {"articles": selectors.article_choices(tenant=tenant)} if kind == StepKind.ARTICLE else {}
    data = request.POST if request.method == "POST" else None
    form = form_class.for_step(data, step, **extra)
    if data is not None and form.is_valid():
        try:
            if step is None:
                saved = services.add_step(tenant=tenant, path=path, data=form.step_data())
            else:
                saved = services.replace_step(tenant=tenant, path=path, step=step, data=form.step_data())
        except LearningError as exc:
            index = step.position - 1 if step is not None else len(selectors.draft_steps(tenant=tenant, path=path))
            add_service_error(form, exc, STEP_ALIASES, step_index=index)
        else:
            messages.success(request, f"Step “{saved.title}” saved in the draft.")
            return redirect("learning-path-detail", tenant_slug=tenant.slug, learningpath_pk=path.pk)
    images = selectors.images_of(tenant=tenant, path=path) if kind == StepKind.LESSON else []
    return render(request, "learning/paths/step_form.html", {
        "form": form, "path": path, "step": step, "kind": kind, "kind_label": StepKind(kind).label,
        "snippets": [markdown_snippet(tenant=tenant, image=i, alt="describe the image") for i in images]},
        status=400 if data is not None else 200)


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def step_create(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    return _step_form_page(request, get_path_for_tenant(request.tenant, pk=learningpath_pk))


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def step_edit(request: HttpRequest, learningpath_pk: int, step_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    return _step_form_page(request, path, get_draft_step_for_tenant(request.tenant, path=path, pk=step_pk))


@require_POST
@requires("learning.manage")
def step_move(request: HttpRequest, learningpath_pk: int, step_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    step = get_draft_step_for_tenant(request.tenant, path=path, pk=step_pk)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return _detail(request, path, status=400, error="direction: up or down")
    services.move_step(tenant=request.tenant, path=path, step=step, offset=-1 if direction == "up" else 1)
    return _back_to_detail(request, path, f"Step “{step.title}” moved {direction}.")


@require_POST
@requires("learning.manage")
def step_delete(request: HttpRequest, learningpath_pk: int, step_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    step = get_draft_step_for_tenant(request.tenant, path=path, pk=step_pk)
    services.delete_step(tenant=request.tenant, path=path, step=step)
    return _back_to_detail(request, path, f"Step “{step.title}” removed from the draft.")


# ------------------------------------------------------------------------- publish, unpublish, migrate


def _confirm(request: HttpRequest, path: LearningPath, action: str, *, status: int = 200,
             error: str = "") -> HttpResponse:
    tenant = request.tenant
    return render(request, "learning/paths/confirm.html", {
        "path": path, "action": action, "counts": selectors.learner_counts(tenant=tenant, path=path),
        "definitions": selectors.DEFINITIONS, "draft_steps": len(selectors.draft_steps(tenant=tenant, path=path)),
        "next_number": (path.current_version.number + 1) if path.current_version else 1, "error": error},
        status=status)


def _confirmed(request: HttpRequest, learningpath_pk: int, action: str, change) -> HttpResponse:
    """GET: the confirmation page of ``action``; POST: ``change(path)`` answers the message to show, or
    raises LearningError, shown on the confirmation page again (400)."""
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    if request.method == "GET":
        return _confirm(request, path, action)
    try:
        message = change(path)
    except LearningError as exc:
        return _confirm(request, path, action, status=400, error=f"{exc.field}: {exc}")
    messages.success(request, message)
    return redirect("learning-path-detail", tenant_slug=request.tenant.slug, learningpath_pk=path.pk)


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def path_publish(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    """GET: the confirmation (what the new version is, how many learners stay on older ones); POST: publish."""
    def publish(path: LearningPath) -> str:
        version = services.publish(tenant=request.tenant, path=path, by=request.user)
        return (f"Published version {version.number}: new enrollments start on it; learners already enrolled stay "
                "on their version until you migrate them.")
    return _confirmed(request, learningpath_pk, "publish", publish)


@require_POST
@requires("learning.manage")
def path_unpublish(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    services.unpublish(tenant=request.tenant, path=path)
    messages.success(request, "Unpublished: nobody new is enrolled; learners already enrolled keep the path.")
    return redirect("learning-path-detail", tenant_slug=request.tenant.slug, learningpath_pk=path.pk)


@require_http_methods(["GET", "POST"])
@requires("learning.manage")
def path_migrate(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    """GET: how many learners would move to the current version; POST: move them."""
    def migrate(path: LearningPath) -> str:
        moved = services.migrate_learners(tenant=request.tenant, path=path)
        return (f"{moved} learner(s) moved to version {path.current_version.number}; their progress followed the "
                "steps with the same key and kind.")
    return _confirmed(request, learningpath_pk, "migrate", migrate)


# ------------------------------------------------------------------------------------------------ preview


def _preview(request: HttpRequest, path: LearningPath, version=None) -> HttpResponse:
    tenant = request.tenant
    steps = (selectors.version_steps(tenant=tenant, version=version) if version is not None
             else selectors.draft_steps(tenant=tenant, path=path))
    return render(request, "learning/paths/preview.html", {"path": path, "version": version, "steps": steps})


@require_GET
@requires("learning.view")
def path_preview(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    return _preview(request, get_path_for_tenant(request.tenant, pk=learningpath_pk))


@require_GET
@requires("learning.view")
def version_preview(request: HttpRequest, learningpath_pk: int, pathversion_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    return _preview(request, path, get_version_for_tenant(request.tenant, path=path, pk=pathversion_pk))


# ----------------------------------------------------------------------------------------------- images


@require_POST
@requires("learning.manage")
def image_upload(request: HttpRequest, learningpath_pk: int) -> HttpResponse:
    path = get_path_for_tenant(request.tenant, pk=learningpath_pk)
    form = LessonImageForm(request.POST, request.FILES)
    if not form.is_valid():  # the path's page again, the refused file's error beside the field
        return _detail(request, path, image_form=form, status=400)
    image = services.add_lesson_image(tenant=request.tenant, path=path, data=form.cleaned_data["image"],
                                      by=request.user)
    messages.success(request, "Image uploaded; paste this into a lesson: "
                              + markdown_snippet(tenant=request.tenant, image=image, alt="describe the image"))
    return redirect("learning-path-detail", tenant_slug=request.tenant.slug, learningpath_pk=path.pk)


@require_GET
def lesson_image_file(request: HttpRequest, image_tenant_slug: str, lessonimage_pk: int,
                      image_key: str) -> HttpResponse:
    """Public, no login: learner pages and emails show it. Tenant, id and key must all agree (one 404)."""
    return public_image_response(request, tenant_slug=image_tenant_slug, what="image",
                                 find=lambda tenant: selectors.public_image(tenant=tenant, pk=lessonimage_pk,
                                                                            key=image_key))
