from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Registered now; filled by a later issue (see README, "Roadmap")."""

    name = "surveys"
    default_auto_field = "django.db.models.BigAutoField"
