from django.apps import AppConfig


class LearningConfig(AppConfig):
    """Registered now; filled by a later issue (see README, "Roadmap")."""

    name = "learning"
    default_auto_field = "django.db.models.BigAutoField"
