"""Reads of accounts and contacts for pages and CSV exports (DESIGN.md: every read beyond a one-liner).

Every function takes the tenant explicitly and filters by it, even though the scoped manager would
too: a selector must stay correct when called from a task or command that entered another scope.
Lists are aggregated in SQL (one query for the rows, one for the count) whatever their length.
The exceptions are the reads of tenancy itself, which find the tenant rather than read inside it:
:func:`user_memberships` and :func:`active_api_key` read across tenants before one is chosen,
:func:`tenant_by_slug` and :func:`tenants_with_settings` read the tenants.

Other apps read tenants, members, accounts and contacts only through this module and ``accounts.access``
(tests/architecture/test_layers.py); a lookup added for one of them keeps the exact query its caller
relied on (joins, order, limit), which that caller's query-count tests pin down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts.models import ApiKey, Contact, CustomerAccount, Job, LifecycleStage, Membership, Role, Tenant
from accounts.models.tenants import hash_api_key
from accounts.services.customers import CSM_ROLES
from accounts.tenancy import all_tenants

# Sort keys the pages accept, mapped to model fields; anything else falls back to the default.
ACCOUNT_SORTS: dict[str, str] = {
    "name": "name",
    "arr": "arr",
    "seats": "seats",
    "renewal_date": "renewal_date",
    "updated": "updated_at",
}
DEFAULT_ACCOUNT_SORT = "name"

# Renewal windows: "within N days" means today <= renewal_date <= today + N (tenant's local days).
RENEWAL_WINDOWS: dict[str, int | None] = {"overdue": None, "30": 30, "60": 60, "90": 90, "180": 180}

ACCOUNT_CSV_COLUMNS = ("external_id", "name", "domain", "plan", "tier", "arr", "seats", "contract_start",
                       "renewal_date", "lifecycle_stage", "csm_email")
CONTACT_CSV_COLUMNS = ("external_id", "account", "email", "phone", "name", "persona", "knowledge_level",
                       "language")

ACCOUNT_DETAIL_CONTACTS_LIMIT = 100


def tenant_today(tenant: Tenant) -> dt.date:
    """Today's date where the tenant works: renewal windows and "days to renewal" count local days."""
    return timezone.now().astimezone(tenant.zone).date()


# --- tenancy: members, API keys, the tenant chooser ------------------------------------------------


def user_memberships(*, user: AbstractBaseUser) -> list[Membership]:
    """The user's own memberships in every tenant, by tenant name (the tenant chooser and switcher).
    Unscoped: this is where a tenant gets chosen, so none is in scope yet; the filter is the user."""
    with all_tenants("the tenant chooser lists the user's own memberships in every tenant"):
        return list(Membership.objects.unscoped().filter(user=user).select_related("tenant")
                    .order_by("tenant__name"))


def tenant_by_slug(*, slug: str) -> Tenant | None:
    """The tenant with this slug, or None (management commands name their tenant by slug)."""
    return Tenant.objects.filter(slug=slug).first()


def tenants_with_settings() -> QuerySet:
    """Every tenant with only its settings loaded: cross-tenant maintenance that needs one setting of each."""
    return Tenant.objects.only("pk", "settings")


def active_api_key(*, raw_key: str) -> ApiKey | None:
    """The unrevoked key whose hash is that of ``raw_key``, with its tenant, or None. Unscoped: the key
    names the tenant (DESIGN.md rule 3), so this lookup necessarily precedes any scope."""
    with all_tenants("API authentication: the key names its tenant"):
        return (
            ApiKey.objects.unscoped()
            .select_related("tenant")
            .filter(key_hash=hash_api_key(raw_key), revoked_at__isnull=True)
            .first()
        )


def member_list(*, tenant: Tenant) -> QuerySet:
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email", "pk")


def first_admin_membership(*, tenant: Tenant) -> Membership | None:
    """The admin membership of a tenant just created (with its user and tenant, for the invitation)."""
    return Membership.objects.filter(tenant=tenant, role=Role.ADMIN).select_related("user", "tenant").first()


def apikey_list(*, tenant: Tenant) -> QuerySet:
    """Active keys first, newest first."""
    return ApiKey.objects.filter(tenant=tenant).order_by("revoked_at", "-created_at")


def csm_users(tenant: Tenant) -> QuerySet:
    """Users who may own accounts in this tenant: admin, manager or CSM members of *this* tenant."""
    return (
        get_user_model()
        .objects.filter(memberships__tenant=tenant, memberships__role__in=CSM_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def users_with_role(*, tenant: Tenant, role: str) -> QuerySet:
    """Users who are members of this tenant with ``role``, by email (choices, e.g. a team's managers)."""
    return (get_user_model().objects
            .filter(memberships__tenant=tenant, memberships__role=role)
            .order_by("email", "username"))


def member_user_ids(*, tenant: Tenant, role: str) -> list[int]:
    """The user ids of this tenant's members with ``role``, in no particular order."""
    return list(Membership.objects.filter(tenant=tenant, role=role).values_list("user_id", flat=True))


def search_accounts(accounts: QuerySet, q: str) -> QuerySet:
    """The free-text search of the pages and the API: name, domain or external_id contains ``q``."""
    return accounts.filter(Q(name__icontains=q) | Q(domain__icontains=q) | Q(external_id__icontains=q))


def search_contacts(contacts: QuerySet, q: str) -> QuerySet:
    """The free-text search of the pages and the API: name, email, external_id or phone contains ``q``."""
    return contacts.filter(
        Q(name__icontains=q) | Q(email__icontains=q) | Q(external_id__icontains=q) | Q(phone__icontains=q)
    )


def account_list(
    *,
    tenant: Tenant,
    q: str = "",
    lifecycle_stage: str = "",
    tier: str = "",
    owner: AbstractBaseUser | None = None,
    mine: AbstractBaseUser | None = None,
    renewal: str = "",
    sort: str = DEFAULT_ACCOUNT_SORT,
    today: dt.date | None = None,
) -> QuerySet:
    """Accounts matching the filters, each with ``contact_count`` (annotated, so no N+1) and the owner.
    ``mine`` is the "my accounts" filter (owned by that user); it combines with ``owner`` like any other."""
    qs = CustomerAccount.objects.filter(tenant=tenant).select_related("owner_csm")
    if mine is not None:
        qs = qs.filter(owner_csm=mine)
    if q:
        qs = search_accounts(qs, q)
    if lifecycle_stage:
        qs = qs.filter(lifecycle_stage=lifecycle_stage)
    if tier:
        qs = qs.filter(tier__iexact=tier)
    if owner is not None:
        qs = qs.filter(owner_csm=owner)
    if renewal in RENEWAL_WINDOWS:
        today = today or tenant_today(tenant)
        days = RENEWAL_WINDOWS[renewal]
        if days is None:
            qs = qs.filter(renewal_date__lt=today)
        else:
            qs = qs.filter(renewal_date__gte=today, renewal_date__lte=today + dt.timedelta(days=days))
    # A correlated subquery rather than JOIN + GROUP BY: PostgreSQL then counts contacts only for the
    # page's rows (after ORDER BY ... LIMIT), and the paginator's count() drops it entirely. With
    # 20k accounts the GROUP BY form took ~180 ms per page.
    contacts = (
        Contact.objects.filter(tenant=tenant, account=OuterRef("pk"))
        .order_by().values("account").annotate(n=Count("*")).values("n")
    )
    qs = qs.annotate(contact_count=Coalesce(Subquery(contacts), 0))
    return qs.order_by(*account_ordering(sort))


def live_accounts(*, tenant: Tenant, owner: AbstractBaseUser | None = None) -> QuerySet:
    """The accounts that are still customers (churned ones left out), of ``owner`` when given: a queryset other
    apps refine (the health portfolio counts those without a score)."""
    accounts = CustomerAccount.objects.filter(tenant=tenant).exclude(lifecycle_stage=LifecycleStage.CHURNED)
    return accounts.filter(owner_csm=owner) if owner is not None else accounts


def api_account_rows(*, tenant: Tenant) -> QuerySet:
    """The API's account list (its filters and cursor order are applied on top), with the owner."""
    return CustomerAccount.objects.filter(tenant=tenant).select_related("owner_csm")


def api_contact_rows(*, tenant: Tenant) -> QuerySet:
    """The API's contact list (its filters and cursor order are applied on top), with the account."""
    return Contact.objects.filter(tenant=tenant).select_related("account")


def account_ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    field = ACCOUNT_SORTS.get(sort.lstrip("-"), ACCOUNT_SORTS[DEFAULT_ACCOUNT_SORT])
    # Accounts without a renewal date or seat count go last in both directions: they are the
    # least useful rows when someone sorts by that column.
    expr = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    # The pk tie-breaker keeps pages stable when many rows share a value (e.g. same ARR).
    return [expr, "pk"]


def account_tiers(tenant: Tenant) -> list[str]:
    """The tiers in use, for the tier filter (tiers are free text set by integrations)."""
    return list(
        CustomerAccount.objects.filter(tenant=tenant).exclude(tier="")
        .order_by("tier").values_list("tier", flat=True).distinct()
    )


def contact_personas(tenant: Tenant) -> list[str]:
    return list(
        Contact.objects.filter(tenant=tenant).exclude(persona="")
        .order_by("persona").values_list("persona", flat=True).distinct()
    )


def contact_ids(*, tenant: Tenant) -> list[int]:
    """Every contact of the tenant, by id (a whole-tenant pass such as the demo's enrollment)."""
    return list(Contact.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))


def contact_targeting_rows(*, tenant: Tenant, contact_ids: Sequence[int]) -> QuerySet:
    """``(id, persona, knowledge_level, lifecycle_stage, tier, plan)`` of these contacts, in one query:
    what learning paths target (learning.targeting)."""
    # = ANY(array): one parameter. An IN list of a 50,000-contact import's ids took 2.0 s, this 0.24 s
    # (bench/learning_enroll.py).
    return (Contact.objects.filter(tenant=tenant)
            .extra(where=['"accounts_contact"."id" = ANY(%s::bigint[])'], params=[list(contact_ids)])  # noqa: S610
            .values_list("pk", "persona", "knowledge_level", "account__lifecycle_stage", "account__tier",
                         "account__plan"))


def targeting_values(*, tenant: Tenant, limit: int = 50) -> dict[str, list[str]]:
    """The free-text values learning paths can target that the tenant's contacts and accounts actually
    have: ``personas`` (contacts), ``tiers`` and ``plans`` (accounts), each distinct, sorted, at most
    ``limit``; three small queries on indexed-or-short columns, shown beside the authoring form."""
    def distinct(queryset: QuerySet, column: str) -> list[str]:
        return list(queryset.exclude(**{column: ""}).order_by(column).values_list(column, flat=True)
                    .distinct()[:limit])

    return {"personas": distinct(Contact.objects.filter(tenant=tenant), "persona"),
            "tiers": distinct(CustomerAccount.objects.filter(tenant=tenant), "tier"),
            "plans": distinct(CustomerAccount.objects.filter(tenant=tenant), "plan")}


def account_choices(tenant: Tenant) -> QuerySet:
    return CustomerAccount.objects.filter(tenant=tenant).order_by("name", "pk")


def contact_list(
    *,
    tenant: Tenant,
    q: str = "",
    account: CustomerAccount | None = None,
    persona: str = "",
    knowledge_level: str = "",
) -> QuerySet:
    qs = Contact.objects.filter(tenant=tenant).select_related("account")
    if q:
        qs = search_contacts(qs, q)
    if account is not None:
        qs = qs.filter(account=account)
    if persona:
        qs = qs.filter(persona=persona)
    if knowledge_level:
        qs = qs.filter(knowledge_level=knowledge_level)
    return qs.order_by("name", "email", "pk")


@dataclass(frozen=True)
class AccountFigures:
    """The header figures of the account page. Definitions are shown next to them (METRICS.md)."""

    arr: Any
    seats: int | None
    contacts_known: int
    days_to_renewal: int | None
    lifecycle_stage: str
    owner_csm: AbstractBaseUser | None
    contract_start: dt.date | None


FIGURE_DEFINITIONS: dict[str, str] = {
    "arr": "Annual recurring revenue under the current contract, as recorded for this account.",
    "seats": "Seats purchased under the current contract (blank when not recorded).",
    "contacts_known": "Contacts of this account in the platform, whatever their activity.",
    "days_to_renewal": "Days from today (in the tenant's time zone) to the renewal date; negative when overdue.",
    "lifecycle_stage": "Where the account stands: onboarding, adoption, mature, renewal or churned.",
    "owner_csm": "The customer-success manager who owns this account.",
    "contract_start": "First day of the current contract.",
}


def account_figures(*, account: CustomerAccount, today: dt.date | None = None) -> AccountFigures:
    today = today or tenant_today(account.tenant)
    days = (account.renewal_date - today).days if account.renewal_date else None
    return AccountFigures(
        arr=account.arr,
        seats=account.seats,
        contacts_known=Contact.objects.filter(tenant_id=account.tenant_id, account=account).count(),
        days_to_renewal=days,
        lifecycle_stage=account.get_lifecycle_stage_display(),
        owner_csm=account.owner_csm,
        contract_start=account.contract_start,
    )


def account_contacts(*, account: CustomerAccount, limit: int = ACCOUNT_DETAIL_CONTACTS_LIMIT) -> list[Contact]:
    """The first contacts of the account for its page; the full list lives on the contact list page."""
    return list(
        Contact.objects.filter(tenant_id=account.tenant_id, account=account).order_by("name", "email", "pk")[:limit]
    )


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def account_export_rows(accounts: QuerySet) -> Iterable[list[str]]:
    """CSV rows (import columns, so an export re-imports unchanged) of an already-filtered queryset."""
    rows = accounts.values_list(
        "external_id", "name", "domain", "plan", "tier", "arr", "seats", "contract_start", "renewal_date",
        "lifecycle_stage", "owner_csm__email",
    )
    for row in rows.iterator(chunk_size=2000):
        yield [_csv_value(v) for v in row]


def contact_export_rows(contacts: QuerySet) -> Iterable[list[str]]:
    rows = contacts.values_list(
        "external_id", "account__external_id", "email", "phone", "name", "persona", "knowledge_level", "language"
    )
    for row in rows.iterator(chunk_size=2000):
        yield [_csv_value(v) for v in row]


# --- lookups by external id (bulk ingestion of other apps, e.g. usage events) -------------------


def account_by_external_id(*, tenant: Tenant, external_id: str) -> CustomerAccount | None:
    """The account named by an integration, or None (the caller words the error for its field)."""
    return CustomerAccount.objects.filter(tenant=tenant, external_id=external_id).first()


def contact_by_external_id(*, tenant: Tenant, external_id: str, with_account: bool = False) -> Contact | None:
    """The contact named by an integration, or None; ``with_account`` fetches its account in the same query."""
    contacts = Contact.objects.filter(tenant=tenant, external_id=external_id)
    return (contacts.select_related("account") if with_account else contacts).first()


def accounts_by_id(*, tenant: Tenant, ids: Iterable[int]) -> list[CustomerAccount]:
    """This tenant's accounts among ``ids``, with their owner CSM, in no particular order (no query for none)."""
    ids = list(ids)
    if not ids:
        return []
    return list(CustomerAccount.objects.filter(tenant=tenant, pk__in=ids).select_related("owner_csm"))


def account_for_domain(*, tenant: Tenant, domain: str) -> CustomerAccount | None:
    """The one account whose ``domain`` is ``domain`` ignoring case; None when none or several are."""
    matches = list(CustomerAccount.objects.filter(tenant=tenant, domain__iexact=domain)[:2])
    return matches[0] if len(matches) == 1 else None


# --- matching people (support's identities and contact merges) ------------------------------------


class _Digits(Func):
    template = "regexp_replace(%(expressions)s, '[^0-9]', '', 'g')"


def contact_by_email(*, tenant: Tenant, email: str) -> Contact | None:
    """The contact whose email, ignoring case, is ``email`` (given in lower case), with its account."""
    return (
        Contact.objects.filter(tenant=tenant).select_related("account")
        .annotate(email_lower=Lower("email")).filter(email_lower=email).first()
    )


def contact_by_phone_digits(*, tenant: Tenant, digits: str) -> Contact | None:
    """The first contact (by id) whose phone, in digits alone however it was typed, is ``digits``, with its
    account."""
    return (
        Contact.objects.filter(tenant=tenant).select_related("account")
        .exclude(phone="").annotate(digits=_Digits("phone"))
        .filter(digits=digits).order_by("pk").first()
    )


def contacts_matching(*, tenant: Tenant, query: str, or_ids: Sequence[QuerySet] = (),
                      exclude: Contact | None = None, limit: int) -> list[Contact]:
    """This tenant's first ``limit`` contacts by name, with their account, whose name, email, phone or
    external id contains ``query`` (ignoring case), or whose id is in one of ``or_ids`` (subqueries of
    contact ids another app matched, e.g. support's identities); ``exclude`` left out. One query."""
    match = (Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
             | Q(external_id__icontains=query))
    for ids in or_ids:
        match |= Q(pk__in=ids)
    contacts = Contact.objects.filter(tenant=tenant).filter(match)
    if exclude is not None:
        contacts = contacts.exclude(pk=exclude.pk)
    return list(contacts.select_related("account").order_by("name", "pk")[:limit])


def account_ids_by_external_id(*, tenant: Tenant, external_ids: Iterable[str]) -> dict[str, int]:
    """external_id -> account id, for those of ``external_ids`` that exist in the tenant (one query)."""
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    # = ANY(array) sends one parameter; Django's IN (...) would send and convert up to 1,000 of them.
    return dict(
        CustomerAccount.objects.filter(tenant=tenant)
        .extra(where=["external_id = ANY(%s::text[])"], params=[wanted])  # noqa: S610 (a bound parameter)
        .values_list("external_id", "id")
    )


def contacts_by_external_id(*, tenant: Tenant, external_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """external_id -> (contact id, account id), for those of ``external_ids`` that exist (one query)."""
    wanted = list(set(external_ids))
    if not wanted:
        return {}
    rows = (
        Contact.objects.filter(tenant=tenant)
        .extra(where=["external_id = ANY(%s::text[])"], params=[wanted])  # noqa: S610 (a bound parameter)
        .values_list("external_id", "id", "account_id")
    )
    return {external_id: (pk, account_id) for external_id, pk, account_id in rows}


# --- segments: the lifecycle stage and tier pairs that scorecards match on ---------------------------------

MAX_SEGMENTS = 500


def account_segments(*, tenant: Tenant, limit: int = MAX_SEGMENTS) -> list[tuple[str, str, int]]:
    """``(lifecycle_stage, tier, accounts)`` of the tenant's accounts, as stored, the largest first (one grouped
    query, at most ``limit`` pairs): what health scorecards pick by, counted without reading every account."""
    rows = (CustomerAccount.objects.filter(tenant=tenant).values("lifecycle_stage", "tier").annotate(n=Count("pk"))
            .order_by("-n", "lifecycle_stage", "tier").values_list("lifecycle_stage", "tier", "n"))
    return list(rows[:limit])


def account_ids_in_segments(*, tenant: Tenant, segments: Iterable[tuple[str, str]], limit: int) -> list[int]:
    """Ids (ascending, at most ``limit``) of the tenant's accounts whose ``(lifecycle_stage, tier)`` is one of
    ``segments`` (as :func:`account_segments` answers them). One query; none for no segment."""
    match = Q()
    for stage, tier in segments:
        match |= Q(lifecycle_stage=stage, tier=tier)
    if not match:
        return []
    rows = CustomerAccount.objects.filter(match, tenant=tenant).order_by("pk").values_list("pk", flat=True)
    return list(rows[:limit])


def latest_finished_job(*, tenant: Tenant, kind: str, matching: dict) -> Job | None:
    """The tenant's latest ``done`` job of ``kind`` whose ``result`` holds ``matching`` (JSON containment: the
    health backtest keeps its query there), or None (one query)."""
    return (Job.objects.filter(tenant=tenant, kind=kind, state=Job.State.DONE, result__contains=matching)
            .order_by("-created_at", "-pk").first())
