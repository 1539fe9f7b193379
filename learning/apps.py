from django.apps import AppConfig


class LearningConfig(AppConfig):
    """Learning paths (issue 13): authoring, enrollment, the learner portal, the CSM's figures."""

    name = "learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.timeline import registry as timeline
        from accounts.workspace import registry as workspace
        from health.usage.selectors.adoption import register_trained_contacts_query
        from learning.reports import coverage, selectors
        from learning.reports.timeline import SOURCES

        # The seat funnel's "trained" step (account usage page, GET /accounts/{id}/usage): one query per page.
        register_trained_contacts_query(selectors.trained_contacts_by_account)
        for source in SOURCES:  # enrolled, step done, path completed on the account's and contact's timeline
            timeline.register(source)
        workspace.register_account_column(workspace.AccountColumn(
            key="trained-admins", label="Trained admins", definition=coverage.DEFINITIONS["trained_admins"],
            load=coverage.trained_admins_by_account, kind="text", places=frozenset({workspace.ACCOUNT_LIST}),
            order=60, missing="none"))
