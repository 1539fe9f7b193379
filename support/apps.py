from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Registered now; filled by a later issue (see README, "Roadmap")."""

    name = "support"
    default_auto_field = "django.db.models.BigAutoField"
