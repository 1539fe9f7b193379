from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from support.desk import home

        home.register()  # the desk's sections and columns of the role-aware home (accounts.workspace)
