from django.apps import AppConfig


class SupportConfig(AppConfig):
    """Support: records, desk, knowledge, SLA, QA, reports, issues (DESIGN.md layout)."""

    name = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.timeline import registry
        from support.desk import home
        from support.records.selectors import TIMELINE_SOURCES

        for source in TIMELINE_SOURCES:  # tickets opened, resolved, reopened on account and contact timelines
            registry.register(source)
        home.register()  # the desk's sections and columns of the role-aware home (accounts.workspace)
