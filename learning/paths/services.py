"""Authoring of learning paths (DESIGN.md: keyword-only, typed, atomic): a path's settings, targeting and
prerequisites, its draft steps (as a whole, or one at a time for the steps editor), publish / unpublish,
migrating learners to the current version, lesson images."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Tenant
from learning.models import (
    MAX_BODY,
    MAX_DESCRIPTION,
    MAX_EVENT_NAME,
    MAX_NAME,
    MAX_PRIORITY,
    MAX_SLUG,
    MAX_STEP_KEY,
    MAX_STEPS,
    Enrollment,
    EnrollmentStatus,
    LearningPath,
    LessonImage,
    PathVersion,
    Prerequisite,
    Step,
    StepKind,
    StepProgress,
    SupportAction,
    TargetingRule,
)
from learning.paths.images import lesson_image_src
from learning.quizzes import clean_quiz
from learning.targeting import RULE_FIELDS, clean_values
from support.knowledge.services import render_markdown, unique_slug
from support.models import Article
from surveys.branding.images import inspect

MAX_MATCH_PAIRS = 10
MAX_MATCH_VALUE = 200


class LearningError(ValueError):
    """Bad authoring input; ``field`` names what is wrong (the page or API shows it as a 4xx)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class PathData:
    name: str
    description: str = ""
    slug: str = ""  # blank: from the name (unique in the tenant); kept on later saves unless given
    support_action: str = SupportAction.RECOMMEND
    is_required: bool = False
    priority: int = 100
    targeting: dict[str, list[str]] = field(default_factory=dict)
    prerequisites: Sequence[LearningPath] = ()


@dataclass
class StepData:
    kind: str
    title: str
    key: str = ""  # blank: the key of the draft's step at this position, else from the title
    is_required: bool = True
    body_markdown: str = ""
    quiz: dict | None = None
    article: Article | None = None
    event_name: str = ""
    event_match: dict[str, str] = field(default_factory=dict)


@transaction.atomic
def save_path(*, tenant: Tenant, path: LearningPath | None, data: PathData) -> LearningPath:
    """Create or update a path's settings, targeting rule and prerequisites (not its steps: they belong
    to the draft version, :func:`save_steps`). A new path gets an empty draft."""
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise LearningError(f"a name of 1 to {MAX_NAME} characters", "name")
    if len(data.description or "") > MAX_DESCRIPTION:
        raise LearningError(f"at most {MAX_DESCRIPTION} characters", "description")
    if not isinstance(data.priority, int) or not 0 <= data.priority <= MAX_PRIORITY:
        raise LearningError(f"a whole number from 0 to {MAX_PRIORITY}", "priority")
    wanted_slug = (data.slug or "").strip()
    if wanted_slug and (len(wanted_slug) > MAX_SLUG or slugify(wanted_slug) != wanted_slug):
        raise LearningError(f"lowercase letters, digits and hyphens, at most {MAX_SLUG} characters", "slug")
    if wanted_slug and LearningPath.objects.filter(tenant=tenant, slug=wanted_slug).exclude(
            pk=path.pk if path else None).exists():
        raise LearningError("another path has this slug", "slug")
    if data.support_action not in SupportAction.values:
        raise LearningError(f"one of {', '.join(SupportAction.values)}", "support_action")
    unknown = set(data.targeting) - set(RULE_FIELDS)
    if unknown:
        raise LearningError(f"unknown targeting field {sorted(unknown)[0]}", "targeting")
    lists = {}
    for name_ in RULE_FIELDS:
        try:
            lists[name_] = clean_values(name_, data.targeting.get(name_, []))
        except ValueError as exc:
            raise LearningError(str(exc), name_) from None
    creating = path is None
    path = path or LearningPath(tenant=tenant)
    path.name, path.description = name, data.description or ""
    path.slug = wanted_slug or path.slug or unique_slug(LearningPath, tenant, name, path.pk, fallback="path")[
        :MAX_SLUG]
    path.support_action = data.support_action
    path.is_required, path.priority = bool(data.is_required), data.priority
    path.save()
    if creating:
        PathVersion.objects.create(tenant=tenant, path=path)
    TargetingRule.objects.update_or_create(tenant=tenant, path=path, defaults=lists)
    _set_prerequisites(tenant=tenant, path=path, requires=data.prerequisites)
    return path


def _set_prerequisites(*, tenant: Tenant, path: LearningPath, requires: Sequence[LearningPath]) -> None:
    wanted = {p.pk for p in requires}
    if path.pk in wanted:
        raise LearningError("a path cannot require itself", "prerequisites")
    if any(p.tenant_id != tenant.pk for p in requires):
        raise LearningError("no such path", "prerequisites")
    # A cycle would make every path in it unreachable: walk what the wanted paths require, transitively.
    edges: dict[int, set[int]] = {}
    for p, r in Prerequisite.objects.filter(tenant=tenant).exclude(path=path).values_list("path_id", "requires_id"):
        edges.setdefault(p, set()).add(r)
    seen, todo = set(), list(wanted)
    while todo:
        current = todo.pop()
        if current == path.pk:
            raise LearningError("these prerequisites would make a cycle", "prerequisites")
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))
    Prerequisite.objects.filter(tenant=tenant, path=path).exclude(requires_id__in=wanted).delete()
    Prerequisite.objects.bulk_create([Prerequisite(tenant=tenant, path=path, requires_id=r) for r in wanted],
                                     ignore_conflicts=True)


def draft_of(*, tenant: Tenant, path: LearningPath) -> PathVersion:
    draft, _ = PathVersion.objects.get_or_create(tenant=tenant, path=path, number=None)
    return draft


def _clean_step(*, tenant: Tenant, index: int, data: StepData) -> Step:
    where = f"steps[{index}]"
    key = (data.key or "").strip()
    if key and (len(key) > MAX_STEP_KEY or slugify(key) != key):
        raise LearningError(f"lowercase letters, digits and hyphens, at most {MAX_STEP_KEY} characters",
                            f"{where}.key")
    if data.kind not in StepKind.values:
        raise LearningError(f"kind is one of {', '.join(StepKind.values)}", f"{where}.kind")
    title = (data.title or "").strip()
    if not title or len(title) > MAX_NAME:
        raise LearningError(f"a title of 1 to {MAX_NAME} characters", f"{where}.title")
    step = Step(tenant=tenant, position=index + 1, key=key, kind=data.kind, title=title,
                is_required=bool(data.is_required))
    if data.kind == StepKind.LESSON:
        if len(data.body_markdown or "") > MAX_BODY:
            raise LearningError(f"at most {MAX_BODY} characters", f"{where}.body_markdown")
        step.body_markdown = data.body_markdown or ""
        # The knowledge base's sanitizing renderer, images limited to this tenant's lesson images.
        step.body_html = render_markdown(step.body_markdown, image_src=lesson_image_src(tenant))
    elif data.kind == StepKind.QUIZ:
        try:
            step.quiz = clean_quiz(data.quiz)
        except ValueError as exc:
            raise LearningError(str(exc), f"{where}.quiz") from None
    elif data.kind == StepKind.ARTICLE:
        if data.article is None or data.article.tenant_id != tenant.pk:
            raise LearningError("choose a knowledge-base article", f"{where}.article")
        step.article = data.article
    else:
        event = (data.event_name or "").strip()
        if not event or len(event) > MAX_EVENT_NAME:
            raise LearningError(f"an event name of 1 to {MAX_EVENT_NAME} characters", f"{where}.event_name")
        match = data.event_match or {}
        if (not isinstance(match, dict) or len(match) > MAX_MATCH_PAIRS
                or any(not isinstance(k, str) or not k or len(k) > MAX_MATCH_VALUE
                       or not isinstance(v, (str, int, float, bool)) or len(str(v)) > MAX_MATCH_VALUE
                       for k, v in match.items())):
            raise LearningError(f"at most {MAX_MATCH_PAIRS} property: value pairs of short texts or numbers",
                                f"{where}.event_match")
        step.event_name, step.event_match = event, match
    return step


def _assign_keys(rows: list[Step], old_keys: dict[int, str]) -> None:
    """Give every step without a key one: the key the draft had at its position (an edit keeps the step's
    identity), else its slugified title; duplicates get ``-2``, ``-3``. Two given keys alike are an error."""
    given = [r.key for r in rows if r.key]
    if len(given) != len(set(given)):
        dup = next(k for k in given if given.count(k) > 1)
        raise LearningError(f"two steps have the key {dup}", f"steps[{[r.key for r in rows].index(dup)}].key")
    taken = set(given)
    for row in rows:
        if row.key:
            continue
        base = old_keys.get(row.position) or slugify(row.title)[:MAX_STEP_KEY - 4] or "step"
        key, n = base, 2
        while key in taken:
            key, n = f"{base[:MAX_STEP_KEY - 4]}-{n}", n + 1
        row.key = key
        taken.add(key)


@transaction.atomic
def save_steps(*, tenant: Tenant, path: LearningPath, steps: Sequence[StepData]) -> list[Step]:
    """Replace the draft's steps by these, in order; published versions are never touched. All or nothing:
    the first bad step raises before anything is written."""
    if len(steps) > MAX_STEPS:
        raise LearningError(f"at most {MAX_STEPS} steps", "steps")
    rows = [_clean_step(tenant=tenant, index=i, data=s) for i, s in enumerate(steps)]
    draft = draft_of(tenant=tenant, path=path)
    _assign_keys(rows, dict(Step.objects.filter(tenant=tenant, version=draft).values_list("position", "key")))
    Step.objects.filter(tenant=tenant, version=draft).delete()
    for row in rows:
        row.version = draft
    LearningPath.objects.filter(tenant=tenant, pk=path.pk).update(updated_at=timezone.now())
    return Step.objects.bulk_create(rows)


@transaction.atomic
def publish(*, tenant: Tenant, path: LearningPath, by: AbstractBaseUser | None) -> PathVersion:
    """Freeze a copy of the draft as the next version and make it current; enrollments keep the version
    they were pinned to (:func:`migrate_learners` moves them). The draft stays, for the next edit."""
    path = LearningPath.objects.select_for_update().get(tenant=tenant, pk=path.pk)
    draft = draft_of(tenant=tenant, path=path)
    steps = list(Step.objects.filter(tenant=tenant, version=draft).order_by("position"))
    if not steps:
        raise LearningError("add at least one step before publishing", "steps")
    last = PathVersion.objects.filter(tenant=tenant, path=path, number__isnull=False).order_by("-number").first()
    version = PathVersion.objects.create(tenant=tenant, path=path, number=(last.number + 1) if last else 1,
                                         published_at=timezone.now(), published_by=by)
    for step in steps:
        step.pk, step.version = None, version
    Step.objects.bulk_create(steps)
    path.current_version, path.is_published = version, True
    path.save(update_fields=["current_version", "is_published", "updated_at"])
    return version


@transaction.atomic
def unpublish(*, tenant: Tenant, path: LearningPath) -> LearningPath:
    """No new enrollments; learners already enrolled keep their path (withdrawing them is an explicit act)."""
    LearningPath.objects.filter(tenant=tenant, pk=path.pk).update(is_published=False, updated_at=timezone.now())
    path.refresh_from_db()
    return path


@transaction.atomic
def migrate_learners(*, tenant: Tenant, path: LearningPath) -> int:
    """Move the path's unfinished enrollments to its current version; answers how many moved. Progress
    carries over to the step with the same key when it is still of the same kind (the author kept that
    step, perhaps moved or renamed), and is dropped otherwise (the step changed, the learner has to do it
    again). Quiz attempts stay with the old step: they are history."""
    path = LearningPath.objects.get(tenant=tenant, pk=path.pk)
    if path.current_version_id is None:
        raise LearningError("the path has no published version", "version")
    current = Step.objects.filter(tenant=tenant, version_id=path.current_version_id)
    target = {(s.key, s.kind): s.pk for s in current}
    moving = Enrollment.objects.filter(tenant=tenant, path=path).exclude(version_id=path.current_version_id).filter(
        status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.STARTED])
    progress = list(StepProgress.objects.filter(tenant=tenant, enrollment__in=moving).select_related("step"))
    dropped, kept = [], []
    for row in progress:
        new_step = target.get((row.step.key, row.step.kind))
        if new_step is None:
            dropped.append(row.pk)
        else:
            row.step_id = new_step
            kept.append(row)
    StepProgress.objects.filter(tenant=tenant, pk__in=dropped).delete()
    StepProgress.objects.bulk_update(kept, ["step"])
    return moving.update(version_id=path.current_version_id)


# ------------------------------------------------------------------------- the steps editor, one step at a time


def step_data_of(step: Step) -> StepData:
    """A stored step as the input that saves it again unchanged (its key included)."""
    return StepData(kind=step.kind, title=step.title, key=step.key, is_required=step.is_required,
                    body_markdown=step.body_markdown, quiz=step.quiz or None, article=step.article,
                    event_name=step.event_name, event_match=dict(step.event_match or {}))


def _edit_draft(*, tenant: Tenant, path: LearningPath, edit) -> list[Step]:
    """Read the draft's steps, let ``edit`` change the list of their inputs, save the whole list again
    (save_steps: all or nothing). The path row is locked first, so two authors' edits do not lose one
    another (the second reads the first's result)."""
    LearningPath.objects.select_for_update().get(tenant=tenant, pk=path.pk)
    draft = draft_of(tenant=tenant, path=path)
    current = list(Step.objects.filter(tenant=tenant, version=draft).select_related("article").order_by("position"))
    return save_steps(tenant=tenant, path=path, steps=edit(current, [step_data_of(s) for s in current]))


def _index_of(steps: list[Step], step: Step) -> int:
    for i, s in enumerate(steps):
        if s.pk == step.pk:
            return i
    raise LearningError("this step is no longer in the draft (it was changed meanwhile): reload the page", "step")


@transaction.atomic
def add_step(*, tenant: Tenant, path: LearningPath, data: StepData) -> Step:
    """Append a step to the draft; answers the stored step."""
    saved = _edit_draft(tenant=tenant, path=path, edit=lambda _rows, items: [*items, data])
    return saved[-1]


@transaction.atomic
def replace_step(*, tenant: Tenant, path: LearningPath, step: Step, data: StepData) -> Step:
    """Save ``data`` in place of the draft's ``step``; a blank key keeps the step's key, so learners'
    progress maps to the edited step when they are migrated."""
    index: list[int] = []

    def edit(rows: list[Step], items: list[StepData]) -> list[StepData]:
        index.append(_index_of(rows, step))
        data.key = data.key or rows[index[0]].key
        items[index[0]] = data
        return items

    return _edit_draft(tenant=tenant, path=path, edit=edit)[index[0]]


@transaction.atomic
def move_step(*, tenant: Tenant, path: LearningPath, step: Step, offset: int) -> None:
    """Move the draft's ``step`` up (-1) or down (+1); at either end it stays where it is."""
    if offset not in (-1, 1):
        raise LearningError("move by -1 (up) or 1 (down)", "direction")

    def edit(rows: list[Step], items: list[StepData]) -> list[StepData]:
        i = _index_of(rows, step)
        j = i + offset
        if 0 <= j < len(items):
            items[i], items[j] = items[j], items[i]
        return items

    _edit_draft(tenant=tenant, path=path, edit=edit)


@transaction.atomic
def delete_step(*, tenant: Tenant, path: LearningPath, step: Step) -> None:
    """Remove the step from the draft; published versions keep theirs (learners on them are not broken)."""
    def edit(rows: list[Step], items: list[StepData]) -> list[StepData]:
        del items[_index_of(rows, step)]
        return items

    _edit_draft(tenant=tenant, path=path, edit=edit)


# --------------------------------------------------------------------------------------------- lesson images


@transaction.atomic
def add_lesson_image(*, tenant: Tenant, path: LearningPath, data: bytes, by: AbstractBaseUser | None) -> LessonImage:
    """Store an uploaded image for the path's lessons; :class:`surveys.branding.images.ImageError` when it is
    not a PNG, JPEG or WebP within the logos' bounds (nothing written). Each upload is a new image with a
    new random key: lessons of published versions keep showing the images they were published with."""
    info = inspect(data)
    return LessonImage.objects.create(
        tenant=tenant, path=path, content_type=info.content_type, data=data, size=len(data), width=info.width,
        height=info.height, digest=hashlib.sha256(data).hexdigest(), key=secrets.token_hex(16),
        uploaded_at=timezone.now(), uploaded_by=by)
