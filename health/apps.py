from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Usage (issue 8) and health scores (issue 14)."""

    name = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.workspace import registry as workspace
        from health.portfolio import selectors as portfolio

        # The band, score and confidence of each account's latest score, on the CSM home and the account list.
        workspace.register_account_column(workspace.AccountColumn(
            key="health", label="Health", definition=portfolio.DEFINITIONS["health_column"],
            load=portfolio.health_by_account, kind="text",
            places=frozenset({workspace.HOME_ACCOUNTS, workspace.ACCOUNT_LIST}), order=5))
