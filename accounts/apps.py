from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.timeline.sources import register_core
        from accounts.worklist import sections as worklist_sections
        from accounts.workspace import sections
        from cs_platform import checks  # noqa: F401  registers the deploy checks

        register_core()  # the timeline's own sources; other apps register theirs in their ready()
        sections.register()  # the home's accounts sections (accounts.workspace.registry)
        worklist_sections.register()  # "My tasks"
