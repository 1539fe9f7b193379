from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Registered now; filled by a later issue (see README, "Roadmap")."""

    name = "health"
    default_auto_field = "django.db.models.BigAutoField"
