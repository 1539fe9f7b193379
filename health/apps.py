from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Usage (issue 8) and health scores (issue 14)."""

    name = "health"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import reverse

        from accounts.models import CsmTask
        from accounts.worklist.models import SourceKind
        from accounts.worklist.sources import register_source_link
        from accounts.workspace import registry as workspace
        from health.portfolio import selectors as portfolio

        # The band, score and confidence of each account's latest score, on the CSM home and the account list.
        workspace.register_account_column(workspace.AccountColumn(
            key="health", label="Health", definition=portfolio.DEFINITIONS["health_column"],
            load=portfolio.health_by_account, kind="text",
            places=frozenset({workspace.HOME_ACCOUNTS, workspace.ACCOUNT_LIST}), order=5))

        # A task opened by an alert or a playbook step links to the account's alerts and playbook runs.
        def account_alerts(slug: str, task: CsmTask) -> str:
            return reverse("account-alerts", args=[slug, task.account_id])

        register_source_link(SourceKind.HEALTH_ALERT, account_alerts)
        register_source_link(SourceKind.PLAYBOOK_STEP, account_alerts)
