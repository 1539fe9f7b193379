"""The learning-email settings form (bounded like the model: a bad value is a 400 naming the field)."""

from __future__ import annotations

from django import forms

from learning.emails.models import MAX_REMINDERS, MAX_STALLED_DAYS, LearningPolicy
from learning.emails.services import POLICY_FIELDS, PolicyData


class LearningPolicyForm(forms.Form):
    invitations_enabled = forms.BooleanField(
        required=False, label="Send invitations",
        help_text="a contact newly enrolled gets one email listing their new paths, with a sign-in link")
    reminders_enabled = forms.BooleanField(required=False, label="Send reminders to stalled learners")
    stalled_days = forms.IntegerField(
        min_value=1, max_value=MAX_STALLED_DAYS, label="Stalled after (days)",
        help_text="days without activity (else since the invitation or the enrollment) before a reminder, and "
                  "at least this many days between two reminders")
    max_reminders = forms.IntegerField(min_value=0, max_value=MAX_REMINDERS, label="Reminders per enrollment",
                                       help_text=f"at most this many (0 = none; at most {MAX_REMINDERS})")
    reminders_use_survey_budget = forms.BooleanField(
        required=False, label="Reminders respect the survey fatigue budget",
        help_text="a reminder waits while the contact was sent a survey within the survey cooldown, or their "
                  "account reached its monthly survey limit; reminders do not count against that budget")

    @classmethod
    def for_policy(cls, data, policy: LearningPolicy) -> LearningPolicyForm:
        return cls(data, initial={name: getattr(policy, name) for name in POLICY_FIELDS})

    def policy_data(self) -> PolicyData:
        return PolicyData(**{name: self.cleaned_data[name] for name in POLICY_FIELDS})
