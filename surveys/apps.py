from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Surveys (issue 12): definitions, per-language texts, responses; later steps add invitations,
    sending, the fatigue budget, the public page, reports and the closed loop."""

    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.timeline import registry
        from surveys.selectors import TIMELINE_SOURCE

        registry.register(TIMELINE_SOURCE)  # each answer on the account's and the contact's timeline
