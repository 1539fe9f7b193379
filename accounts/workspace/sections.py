"""accounts' own contributions to the home (registered from ``AccountsConfig.ready``).

Who sees what: a CSM their own accounts; managers and admins the portfolio; viewers the portfolio too,
read-only (the figures carry no action, and a viewer owns no accounts). Agents get support's sections.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Role
from accounts.workspace import registry, selectors

PORTFOLIO_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.VIEWER})


def _my_accounts(ctx: registry.HomeContext) -> dict[str, Any]:
    return {"mine": selectors.my_accounts(tenant=ctx.tenant, user=ctx.user, now=ctx.now),
            "today": ctx.today, "definitions": selectors.DEFINITIONS}


def _arr_by_stage(ctx: registry.HomeContext) -> dict[str, Any]:
    return {"stages": selectors.arr_by_stage(tenant=ctx.tenant), "definitions": selectors.DEFINITIONS}


def _renewals(ctx: registry.HomeContext) -> dict[str, Any]:
    return {"renewals": selectors.renewals_due(tenant=ctx.tenant, today=ctx.today),
            "days": selectors.RENEWAL_HORIZON_DAYS, "definitions": selectors.DEFINITIONS}


def register() -> None:
    registry.register_section(registry.HomeSection(
        key="my-accounts", title="My accounts", roles=frozenset({Role.CSM}),
        template="accounts/workspace/_my_accounts.html", load=_my_accounts, order=10))
    registry.register_section(registry.HomeSection(
        key="arr-by-stage", title="ARR by lifecycle stage", roles=PORTFOLIO_ROLES,
        template="accounts/workspace/_arr_by_stage.html", load=_arr_by_stage, order=10))
    registry.register_section(registry.HomeSection(
        key="renewals", title=f"Renewals in the next {selectors.RENEWAL_HORIZON_DAYS} days", roles=PORTFOLIO_ROLES,
        template="accounts/workspace/_renewals.html", load=_renewals, order=20))
    registry.register_account_column(registry.AccountColumn(
        key="last-seen", label="Contact last seen", definition=selectors.DEFINITIONS["last_seen"],
        load=selectors.contacts_last_seen, kind="time", order=30))
