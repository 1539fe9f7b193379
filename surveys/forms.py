"""The survey form of the pages: the definition, and its texts as a bounded formset of language rows
(the texts already saved plus two blank rows; a row left blank is ignored, a row emptied is removed)."""

from __future__ import annotations

from django import forms

from surveys.inputs import MAX_TEXTS
from surveys.languages import MAX_LANGUAGE, validate_language
from surveys.models import COLOUR_RE, MAX_DELAY_HOURS, MAX_NAME, MAX_QUESTION, MAX_TEXT, Survey, SurveyText
from surveys.scales import Kind
from surveys.services import SurveyData, TextData

BLANK_ROWS = 2


class SurveyForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, help_text="CSAT 1-5, NPS 0-10, CES 1-7")
    name = forms.CharField(max_length=MAX_NAME)
    default_language = forms.CharField(max_length=MAX_LANGUAGE, initial="en", validators=[validate_language],
                                       help_text="the text shown when the reader's language has none")
    delay_hours = forms.IntegerField(min_value=0, max_value=MAX_DELAY_HOURS, initial=24,
                                     help_text=f"hours from the contact to the invitation, 0-{MAX_DELAY_HOURS}")
    brand_colour = forms.RegexField(COLOUR_RE, max_length=7, initial="#1f6feb", help_text="#rrggbb",
                                    error_messages={"invalid": "Brand colour: a colour as #rrggbb, e.g. #1f6feb."})
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    is_default = forms.BooleanField(required=False, label="Default survey of its kind",
                                    help_text="what the API's survey: \"csat\" (or nps, ces) means")

    @classmethod
    def for_survey(cls, data, survey: Survey | None) -> SurveyForm:
        if survey is None:
            return cls(data)
        return cls(data, initial={name: getattr(survey, name) for name in cls.base_fields})


class TextForm(forms.Form):
    language = forms.CharField(max_length=MAX_LANGUAGE, required=False, validators=[validate_language])
    question = forms.CharField(max_length=MAX_QUESTION, required=False)
    followup_low = forms.CharField(max_length=MAX_QUESTION, required=False, label="Follow-up: detractor / low")
    followup_mid = forms.CharField(max_length=MAX_QUESTION, required=False, label="Follow-up: passive / neutral")
    followup_high = forms.CharField(max_length=MAX_QUESTION, required=False, label="Follow-up: promoter / high")
    thank_you = forms.CharField(max_length=MAX_TEXT, required=False)

    def clean(self):
        data = super().clean()
        filled = any(data.get(name) for name in self.fields)
        if filled and not data.get("language"):
            self.add_error("language", "Language: required for a text.")
        if filled and not data.get("question"):
            self.add_error("question", "Question: required for a text.")
        return data


class BaseTextFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        languages = [f.cleaned_data["language"].lower() for f in self.forms if f.cleaned_data.get("language")]
        if not languages:
            raise forms.ValidationError("Texts: give at least one language's question.")
        if len(set(languages)) != len(languages):
            raise forms.ValidationError("Texts: one text per language.")

    def text_data(self) -> list[TextData]:
        return [TextData(**{name: f.cleaned_data[name] for name in TextForm.base_fields})
                for f in self.forms if f.cleaned_data.get("language")]


TextFormSet = forms.formset_factory(TextForm, formset=BaseTextFormSet, extra=BLANK_ROWS, max_num=MAX_TEXTS,
                                    validate_max=True, absolute_max=MAX_TEXTS)


def text_formset(data, *, texts: list[SurveyText]) -> BaseTextFormSet:
    initial = [{name: getattr(t, name) for name in TextForm.base_fields} for t in texts]
    return TextFormSet(data, initial=initial, prefix="texts")


def survey_data(form: SurveyForm, formset: BaseTextFormSet) -> SurveyData:
    return SurveyData(texts=formset.text_data(), **form.cleaned_data)
