"""The authoring forms: a path's settings (targeting lists as comma-separated text for the free-text facts,
checkboxes for the fixed ones), one form per step kind, and the lesson image upload. Each builds the
input of learning.paths.services; the service's LearningError lands on the field it names
(:func:`add_service_error`)."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import KnowledgeLevel, LifecycleStage
from learning.models import (
    MAX_BODY,
    MAX_DESCRIPTION,
    MAX_EVENT_NAME,
    MAX_NAME,
    MAX_PRIORITY,
    MAX_SLUG,
    MAX_STEP_KEY,
    LearningPath,
    Step,
    StepKind,
    SupportAction,
)
from learning.paths.quiz_text import MAX_LINES, QuizTextError, parse_quiz_text, quiz_text_of
from learning.paths.services import MAX_MATCH_PAIRS, MAX_MATCH_VALUE, LearningError, PathData, StepData
from learning.quizzes import MAX_TEXT
from learning.targeting import MAX_RULE_VALUE, MAX_RULE_VALUES
from surveys.branding.forms import checked_image, image_field

TEXT_LISTS = ("personas", "tiers", "plans")
CHOICE_LISTS = {"knowledge_levels": KnowledgeLevel.choices, "lifecycle_stages": LifecycleStage.choices}
MAX_LIST_TEXT = MAX_RULE_VALUES * (MAX_RULE_VALUE + 2)


def add_service_error(form: forms.Form, error: LearningError, aliases: dict[str, str] | None = None, *,
                      step_index: int | None = None) -> None:
    """Put the service's message on the field it names: ``steps[3].title`` is this form's ``title`` when
    ``step_index`` is 3 (the step this form edits), ``aliases`` rename the service's names to the form's
    (``quiz`` -> ``questions``). Anything else, another step of the draft included (an article step whose
    article was deleted since), is a form-wide error that still names the field."""
    where, _, name = (error.field or "").rpartition(".")
    name = (aliases or {}).get(name, name)
    own_step = not where or where == f"steps[{step_index}]"
    if name in form.fields and own_step:
        form.add_error(name, f"{form[name].label}: {error}")
    else:
        form.add_error(None, f"{error.field}: {error}" if error.field else str(error))


def _split(text: str) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


class PathForm(forms.Form):
    name = forms.CharField(max_length=MAX_NAME)
    slug = forms.CharField(max_length=MAX_SLUG, required=False,
                           help_text="the path's name in the API and in learners' links; blank: from the name")
    description = forms.CharField(max_length=MAX_DESCRIPTION, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_required = forms.BooleanField(required=False, label="Required",
                                     help_text="required paths come first for a learner")
    priority = forms.IntegerField(min_value=0, max_value=MAX_PRIORITY, initial=100,
                                  help_text=f"0-{MAX_PRIORITY}, lower first when several paths match a learner")
    support_action = forms.ChoiceField(choices=SupportAction.choices, initial=SupportAction.RECOMMEND,
                                       label="When a ticket is answered with one of its articles")
    personas = forms.CharField(max_length=MAX_LIST_TEXT, required=False, help_text="comma-separated; blank = any")
    knowledge_levels = forms.MultipleChoiceField(choices=CHOICE_LISTS["knowledge_levels"], required=False,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 label="Knowledge levels (none ticked = any)")
    lifecycle_stages = forms.MultipleChoiceField(choices=CHOICE_LISTS["lifecycle_stages"], required=False,
                                                 widget=forms.CheckboxSelectMultiple,
                                                 label="Account lifecycle stages (none ticked = any)")
    tiers = forms.CharField(max_length=MAX_LIST_TEXT, required=False, label="Account tiers",
                            help_text="comma-separated; blank = any")
    plans = forms.CharField(max_length=MAX_LIST_TEXT, required=False, label="Account plans",
                            help_text="comma-separated; blank = any")
    prerequisites = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                                   label="Prerequisites (offered once these are completed)")

    def __init__(self, data: Any = None, *, path: LearningPath | None, rule: Any, prerequisites: Any,
                 requires: list[LearningPath], in_use: dict[str, list[str]]) -> None:
        initial: dict[str, Any] = {}
        if path is not None:
            initial = {name: getattr(path, name) for name in ("name", "slug", "description", "is_required",
                                                               "priority", "support_action")}
            initial["prerequisites"] = [p.pk for p in requires]
            for name in (*TEXT_LISTS, *CHOICE_LISTS):
                values = getattr(rule, name, None) or []
                initial[name] = ", ".join(values) if name in TEXT_LISTS else values
        super().__init__(data, initial=initial)
        self.fields["prerequisites"].queryset = prerequisites
        for name in TEXT_LISTS:
            shown = ", ".join(in_use.get(name, [])) or "none yet"
            self.fields[name].help_text = f"comma-separated; blank = any. In use now: {shown}"

    def path_data(self) -> PathData:
        d = self.cleaned_data
        targeting = {name: _split(d[name]) for name in TEXT_LISTS} | {name: list(d[name]) for name in CHOICE_LISTS}
        return PathData(name=d["name"], slug=d["slug"], description=d["description"], is_required=d["is_required"],
                        priority=d["priority"], support_action=d["support_action"], targeting=targeting,
                        prerequisites=list(d["prerequisites"]))


# ------------------------------------------------------------------------------------------------- steps


class StepForm(forms.Form):
    """What every step has; a subclass per kind adds its own fields and ``kind_fields``."""

    kind = StepKind.LESSON
    title = forms.CharField(max_length=MAX_NAME)
    key = forms.CharField(max_length=MAX_STEP_KEY, required=False,
                          help_text="the step's identity across versions (learners' progress follows it when "
                                    "migrated, an external LMS names the step by it); blank: kept, or from the title")
    is_required = forms.BooleanField(required=False, initial=True, label="Required for completing the path")

    @classmethod
    def for_step(cls, data: Any, step: Step | None, **kwargs: Any) -> StepForm:
        initial = {} if step is None else {"title": step.title, "key": step.key, "is_required": step.is_required,
                                           **cls.initial_of(step)}
        return cls(data, initial=initial, **kwargs)

    @classmethod
    def initial_of(cls, step: Step) -> dict[str, Any]:
        return {}

    def kind_fields(self) -> dict[str, Any]:
        return {}

    def step_data(self) -> StepData:
        d = self.cleaned_data
        return StepData(kind=self.kind, title=d["title"], key=d["key"], is_required=d["is_required"],
                        **self.kind_fields())


class LessonForm(StepForm):
    kind = StepKind.LESSON
    body_markdown = forms.CharField(max_length=MAX_BODY, required=False, label="Lesson (Markdown)",
                                    widget=forms.Textarea(attrs={"rows": 14}),
                                    help_text="Markdown; HTML is sanitized. Images: upload them below and paste "
                                              "their snippet; images from other sites are not shown.")

    @classmethod
    def initial_of(cls, step: Step) -> dict[str, Any]:
        return {"body_markdown": step.body_markdown}

    def kind_fields(self) -> dict[str, Any]:
        return {"body_markdown": self.cleaned_data["body_markdown"]}


class QuizForm(StepForm):
    kind = StepKind.QUIZ
    questions = forms.CharField(max_length=MAX_LINES * (MAX_TEXT * 2 + 8), widget=forms.Textarea(attrs={"rows": 14}),
                                help_text="one line each: '? question' (one right answer) or '?? question' (several), "
                                          "then its choices: '+ right choice | feedback', '- wrong choice | feedback' "
                                          "(feedback optional)")
    passing_score = forms.IntegerField(min_value=0, max_value=100, initial=80,
                                       help_text="percent of questions answered exactly right, 0-100")
    max_attempts = forms.IntegerField(min_value=0, max_value=10, initial=0, help_text="1-10; 0 = unlimited")

    @classmethod
    def initial_of(cls, step: Step) -> dict[str, Any]:
        quiz = step.quiz or {}
        return {"questions": quiz_text_of(quiz), "passing_score": quiz.get("passing_score", 80),
                "max_attempts": quiz.get("max_attempts", 0)}

    def clean_questions(self) -> list[dict]:
        try:
            return parse_quiz_text(self.cleaned_data["questions"])
        except QuizTextError as exc:
            raise forms.ValidationError(f"Questions: {exc}.") from None

    def kind_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"quiz": {"questions": d["questions"], "passing_score": d["passing_score"],
                         "max_attempts": d["max_attempts"]}}


class ArticleForm(StepForm):
    kind = StepKind.ARTICLE
    article = forms.ModelChoiceField(queryset=None, label="Knowledge-base article")

    def __init__(self, *args: Any, articles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = articles

    @classmethod
    def initial_of(cls, step: Step) -> dict[str, Any]:
        return {"article": step.article_id}

    def kind_fields(self) -> dict[str, Any]:
        return {"article": self.cleaned_data["article"]}


class ProductTaskForm(StepForm):
    kind = StepKind.PRODUCT_TASK
    event_name = forms.CharField(max_length=MAX_EVENT_NAME, help_text="the usage event that completes the task, "
                                                                      "e.g. pipeline.created")
    event_match = forms.CharField(required=False, max_length=MAX_MATCH_PAIRS * (2 * MAX_MATCH_VALUE + 2),
                                  widget=forms.Textarea(attrs={"rows": 3}), label="Property match",
                                  help_text=f"optional, one key=value per line (at most {MAX_MATCH_PAIRS}): the event "
                                            "must carry every one of these properties with this value")

    @classmethod
    def initial_of(cls, step: Step) -> dict[str, Any]:
        return {"event_name": step.event_name,
                "event_match": "\n".join(f"{k}={v}" for k, v in (step.event_match or {}).items())}

    def clean_event_match(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["event_match"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(f"Property match: line {number} is not key=value.")
            pairs[key.strip()] = value.strip()
        return pairs

    def kind_fields(self) -> dict[str, Any]:
        return {"event_name": self.cleaned_data["event_name"], "event_match": self.cleaned_data["event_match"]}


STEP_FORMS: dict[str, type[StepForm]] = {f.kind: f for f in (LessonForm, QuizForm, ArticleForm, ProductTaskForm)}
# The service's field names that a step form calls otherwise.
STEP_ALIASES = {"quiz": "questions"}


# ------------------------------------------------------------------------------------------ lesson images


class LessonImageForm(forms.Form):
    image = image_field("Image")

    def clean_image(self) -> bytes:
        return checked_image(self.cleaned_data["image"], label="Image")
