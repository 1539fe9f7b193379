"""Forms of the QA pages: a rubric with its criteria, a review's scores, building a sample."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from support.models import QaCriterion
from support.qa.services import CriterionInput


class RubricForm(forms.Form):
    name = forms.CharField(max_length=200)


class CriterionForm(forms.Form):
    criterion_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    weight = forms.DecimalField(min_value=Decimal(0), max_digits=6, decimal_places=2, initial=1)
    max_score = forms.IntegerField(min_value=1, max_value=100, initial=5, label="Max score")
    position = forms.IntegerField(min_value=0, max_value=32767, required=False)
    delete = forms.BooleanField(required=False, label="Delete")


class BaseCriterionFormSet(forms.BaseFormSet):
    def __init__(self, *args, criteria: list[QaCriterion], **kwargs):
        self.criteria = {c.pk: c for c in criteria}
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        if any(self.errors):
            return
        names = []
        for f in self.forms:
            data = f.cleaned_data
            if not data or data.get("delete") or (not data.get("criterion_id") and not f.has_changed()):
                continue
            names.append(data["name"].strip().lower())
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise forms.ValidationError(f"Criteria names must be unique: {', '.join(duplicates)}.")
        for f in self.forms:
            pk = f.cleaned_data.get("criterion_id") if f.cleaned_data else None
            if pk is not None and pk not in self.criteria:
                raise forms.ValidationError("A criterion of another rubric was submitted; reload the page.")

    def criterion_inputs(self) -> list[CriterionInput]:
        out = []
        for index, f in enumerate(self.forms):
            data = f.cleaned_data
            if not data or (not data.get("criterion_id") and not f.has_changed()):
                continue
            out.append(CriterionInput(
                name=data["name"], description=data.get("description") or "", weight=data["weight"],
                max_score=data["max_score"], position=data["position"] if data.get("position") is not None else index,
                criterion=self.criteria.get(data.get("criterion_id")), delete=bool(data.get("delete"))))
        return out


CriterionFormSet = forms.formset_factory(CriterionForm, formset=BaseCriterionFormSet, extra=3)


def criterion_formset(data, *, criteria: list[QaCriterion]) -> BaseCriterionFormSet:
    initial = [{"criterion_id": c.pk, "name": c.name, "description": c.description, "weight": c.weight,
                "max_score": c.max_score, "position": c.position} for c in criteria]
    return CriterionFormSet(data, initial=initial, criteria=criteria, prefix="criteria")


class ReviewForm(forms.Form):
    """One score (0..max) and comment per criterion of the rubric, and an overall comment."""

    comment = forms.CharField(required=False, label="Overall comment", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, criteria: list[QaCriterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"score_{c.pk}"] = forms.IntegerField(
                label=c.name, help_text=f"0 to {c.max_score}; weight {c.weight:g}",
                widget=forms.NumberInput(attrs={"min": 0, "max": c.max_score}),
                error_messages={"required": f"{c.name}: a score is required.",
                                "invalid": f"{c.name}: enter a whole number."})
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                required=False, label=f"Comment on {c.name}", widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        for c in self.criteria:
            value = data.get(f"score_{c.pk}")
            if value is not None and not 0 <= value <= c.max_score:
                self.add_error(f"score_{c.pk}", f"{c.name}: the score must be between 0 and {c.max_score}.")
        return data

    def rows(self) -> list[tuple[QaCriterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"score_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def score_inputs(self):
        from support.qa.services import ScoreInput

        return [ScoreInput(criterion=c, score=self.cleaned_data[f"score_{c.pk}"],
                           comment=self.cleaned_data.get(f"comment_{c.pk}") or "") for c in self.criteria]


class SampleForm(forms.Form):
    rubric = forms.ModelChoiceField(queryset=None, empty_label=None)
    days = forms.IntegerField(min_value=1, max_value=366, initial=7, label="Tickets resolved in the last (days)")
    per_agent = forms.IntegerField(min_value=1, max_value=50, initial=5, label="Reviews per agent")

    def __init__(self, *args, rubrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rubric"].queryset = rubrics
