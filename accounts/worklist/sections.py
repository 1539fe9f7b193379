"""The home's "My tasks" section (accounts.workspace.registry), for the CSM."""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from accounts.worklist import selectors
from accounts.workspace import registry


def _my_tasks(ctx: registry.HomeContext) -> dict[str, Any]:
    return {"summary": selectors.my_open_tasks(tenant=ctx.tenant, user=ctx.user, today=ctx.today),
            "today": ctx.today, "definitions": selectors.DEFINITIONS}


def register() -> None:
    registry.register_section(registry.HomeSection(
        key="my-tasks", title="My tasks", roles=frozenset({Role.CSM}),
        template="accounts/worklist/_my_tasks.html", load=_my_tasks, order=15))
    registry.register_account_column(registry.AccountColumn(
        key="open-tasks", label="Open tasks", definition=selectors.DEFINITIONS["open_tasks"],
        load=selectors.open_tasks_by_account, kind="count",
        places=frozenset({registry.HOME_ACCOUNTS, registry.ACCOUNT_LIST}), order=12, missing=0))
