from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.workspace import sections
        from cs_platform import checks  # noqa: F401  registers the deploy checks

        sections.register()  # the home's accounts sections (accounts.workspace.registry)
