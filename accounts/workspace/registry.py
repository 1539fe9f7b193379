"""What other apps contribute to the workspace: home sections and per-account columns.

The home and the account tables show exactly what is registered: a later issue adds its health band,
open tasks or latest NPS by registering a column (or a section) from its app's ``AppConfig.ready``, and
the tables grow that column; until then nothing is shown, rather than a placeholder value.

Each ``load`` is bounded: a section answers in a fixed number of queries, a column in one query for all
the accounts of a table (tests/accounts/workspace pins the page totals per role).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Tenant


@dataclass(frozen=True)
class HomeContext:
    """Who is looking, and when (one ``now`` for every section, so their figures agree)."""

    tenant: Tenant
    user: AbstractBaseUser
    role: str
    now: dt.datetime
    today: dt.date  # in the tenant's time zone
    # What several sections of one page need (e.g. the agent record of the user), read once per page.
    memo: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class HomeSection:
    key: str  # the section's element id is home-<key>
    title: str
    roles: frozenset[str]  # the roles whose home shows it
    template: str  # rendered with ``data`` = what ``load`` answered
    load: Callable[[HomeContext], dict[str, Any]]
    order: int = 100  # smaller first


# Places where account columns appear.
HOME_ACCOUNTS = "home"  # the CSM's "my accounts" table on the home
ACCOUNT_LIST = "account-list"  # the account list page


@dataclass(frozen=True)
class AccountColumn:
    key: str
    label: str
    definition: str  # shown with the table, like every figure
    load: Callable[..., dict[int, Any]]  # (tenant=, account_ids=, now=) -> {account id: value}; one query
    kind: str = "text"  # "count" (right-aligned number), "time" (a moment, shown relative) or "text"
    places: frozenset[str] = frozenset({HOME_ACCOUNTS})
    order: int = 100
    missing: Any = None  # the value of an account ``load`` did not answer for (0 for a count; None shows a dash)


_SECTIONS: dict[str, HomeSection] = {}
_COLUMNS: dict[str, AccountColumn] = {}


def register_section(section: HomeSection) -> None:
    if section.key in _SECTIONS:
        raise ValueError(f"home section {section.key!r} is registered twice")
    _SECTIONS[section.key] = section


def register_account_column(column: AccountColumn) -> None:
    if column.key in _COLUMNS:
        raise ValueError(f"account column {column.key!r} is registered twice")
    _COLUMNS[column.key] = column


def sections_for(role: str) -> list[HomeSection]:
    return sorted((s for s in _SECTIONS.values() if role in s.roles), key=lambda s: (s.order, s.key))


def columns_for(place: str) -> list[AccountColumn]:
    return sorted((c for c in _COLUMNS.values() if place in c.places), key=lambda c: (c.order, c.key))


@dataclass(frozen=True)
class Cell:
    kind: str
    value: Any


@dataclass(frozen=True)
class AccountRow:
    account: Any  # a CustomerAccount
    cells: list[Cell]


def account_rows(*, tenant: Tenant, accounts: Iterable[Any], place: str, now: dt.datetime) -> list[AccountRow]:
    """The accounts with one cell per registered column of ``place``: one query per column, whatever the
    number of accounts (none when there are no accounts)."""
    accounts = list(accounts)
    ids = [a.pk for a in accounts]
    columns = columns_for(place)
    values = {c.key: (c.load(tenant=tenant, account_ids=ids, now=now) if ids else {}) for c in columns}
    return [AccountRow(a, [Cell(c.kind, values[c.key].get(a.pk, c.missing)) for c in columns]) for a in accounts]
