"""Demo data for ``manage.py seed_demo``: two vendors whose customers look real enough to click through.

Everything is drawn from a ``random.Random`` seeded per tenant, so the same arguments give the same
rows (same external ids, names and emails) on every run; dates are placed relative to today so the
renewal pipeline always has something due soon. Rows go in through the same services as the API's
bulk endpoints (``upsert_accounts`` / ``upsert_contacts``), so the demo never holds data the API
would refuse.

Usage (feature catalog, ~120 days of events) comes from ``health.usage.demo`` and the support desk (agents, SLA,
knowledge base, macros, tickets, callbacks, presence) from ``support.demo``: each app writes its own rows
through its own services; this module only hands them the accounts and contacts it made.

Both tenants use the same external-id scheme (``ACC-1001``, ``CON-1001-1``): look-alike data across
tenants, as in the test database (DESIGN.md tenancy rule 6).
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Contact, CustomerAccount, Job, Membership, Role, Tenant
from accounts.services.contacts import upsert_contacts
from accounts.services.customers import backdate_updated_at, upsert_accounts
from accounts.services.tenants import create_staff_member, create_tenant, delete_tenants
from accounts.tenancy import tenant_scope
from cs_platform.bulk import BulkResult
from health.usage import demo as health_demo
from learning import demo as learning_demo
from support import demo as support_demo

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo login, printed by `make run`
DEMO_FIRST_NAME, DEMO_LAST_NAME = "Demo", "User"
SEED = 20250101


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    timezone: str
    fiscal_year_start_month: int
    staff_domain: str
    # (first name, last name, role); the demo user is added as admin on top of these.
    staff: tuple[tuple[str, str, str], ...]


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        slug="northwind", name="Northwind Analytics", timezone="America/Los_Angeles", fiscal_year_start_month=1,
        staff_domain="northwind-analytics.example.com",
        staff=(
            ("Olivia", "Bennett", Role.ADMIN),
            ("Marcus", "Reed", Role.MANAGER),
            ("Priya", "Raman", Role.CSM),
            ("Daniel", "Okafor", Role.CSM),
            ("Sofia", "Martinez", Role.CSM),
            ("Kevin", "Liu", Role.AGENT),
            ("Hannah", "Schultz", Role.AGENT),
            ("Tom", "Fletcher", Role.VIEWER),
        ),
    ),
    DemoTenant(
        slug="globex", name="Globex Cloud", timezone="Europe/Berlin", fiscal_year_start_month=4,
        staff_domain="globex-cloud.example.com",
        staff=(
            ("Katrin", "Vogel", Role.ADMIN),
            ("Jonas", "Becker", Role.MANAGER),
            ("Lena", "Hoffmann", Role.CSM),
            ("Mehmet", "Yilmaz", Role.CSM),
            ("Claire", "Dubois", Role.CSM),
            ("Lukas", "Wagner", Role.AGENT),
            ("Aylin", "Kaya", Role.AGENT),
            ("Pieter", "de Vries", Role.VIEWER),
        ),
    ),
)

_NAME_STARTS = (
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Clear", "Copper", "Crest", "Delta", "Echo", "Evergreen", "Falcon",
    "Granite", "Harbor", "Horizon", "Iron", "Juniper", "Keystone", "Lakeside", "Lumen", "Maple", "Meridian",
    "Nimbus", "North", "Oak", "Orbit", "Pacific", "Pine", "Pioneer", "Quantum", "Redwood", "River", "Silver",
    "Summit", "Sun", "Tidal", "Trail", "Vertex", "Willow", "Zenith",
)
_NAME_ENDS = (
    "Labs", "Logistics", "Health", "Bank", "Retail", "Foods", "Energy", "Media", "Systems", "Robotics", "Freight",
    "Insurance", "Pharma", "Studios", "Networks", "Capital", "Outdoors", "Motors", "Learning", "Analytics",
)
_LEGAL = ("Inc.", "LLC", "GmbH", "Ltd", "Corp.", "AG", "")
_FIRST = (
    "Emma", "Liam", "Noah", "Ava", "Mia", "Lucas", "Amelia", "Ethan", "Chloe", "Mateo", "Isabella", "Leon",
    "Yuki", "Arjun", "Fatima", "Omar", "Grace", "Henry", "Zoe", "Felix", "Nora", "Samuel", "Aisha", "Ivan",
    "Julia", "Carlos", "Maya", "Oscar", "Lea", "Ben", "Sara", "Elias", "Hana", "Diego", "Clara", "Tariq",
)
_LAST = (
    "Smith", "Johnson", "Garcia", "Müller", "Schmidt", "Nguyen", "Kim", "Patel", "Brown", "Rossi", "Silva",
    "Kowalski", "Jensen", "Tanaka", "Ali", "Novak", "Dubois", "Murphy", "Larsen", "Costa", "Weber", "Cohen",
    "Ivanova", "Khan", "Moreau", "Fischer", "Andersen", "Lopez", "Sato", "Ortiz", "Meyer", "Walsh",
)
# (persona, weight): most contacts are end users; each account gets an admin and a champion first.
_PERSONAS = (("end_user", 10), ("power_user", 3), ("manager", 2), ("executive_sponsor", 1), ("billing", 1),
             ("it_admin", 1))
_PLANS = (  # (plan, tier, seats range, ARR per seat range)
    ("starter", "standard", (5, 25), (300, 600)),
    ("growth", "standard", (20, 120), (450, 900)),
    ("business", "premium", (80, 400), (700, 1200)),
    ("enterprise", "premium", (300, 2500), (900, 1600)),
)
_PLAN_WEIGHTS = (30, 40, 20, 10)


@dataclass(frozen=True)
class DemoSummary:
    tenant: Tenant
    staff: int
    accounts: dict[str, int]
    contacts: dict[str, int]
    events: health_demo.UsageSummary
    support: support_demo.SupportSummary


def _ascii(text: str) -> str:
    return (text.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace(" ", "")
            .replace("'", "").replace(".", ""))


def staff_rows(spec: DemoTenant) -> list[dict[str, str]]:
    rows = [{"email": DEMO_EMAIL, "name": f"{DEMO_FIRST_NAME} {DEMO_LAST_NAME}", "role": Role.ADMIN}]
    for first, last, role in spec.staff:
        rows.append({"email": f"{_ascii(first)}.{_ascii(last)}@{spec.staff_domain}", "name": f"{first} {last}",
                     "role": role})
    return rows


def account_items(spec: DemoTenant, *, count: int, csm_emails: list[str], today: dt.date) -> list[dict[str, Any]]:
    """``count`` account items for ``upsert_accounts``; item ``i`` is the same for every ``count`` > i."""
    items = []
    used_names: set[str] = set()
    for i in range(count):
        rng = random.Random(f"{SEED}:{spec.slug}:account:{i}")
        for _attempt in range(20):
            base = f"{rng.choice(_NAME_STARTS)} {rng.choice(_NAME_ENDS)}"
            if base not in used_names:
                break
        else:
            base = f"{base} {i + 1}"
        used_names.add(base)
        legal = rng.choice(_LEGAL)
        name = f"{base} {legal}".strip()
        domain = f"{_ascii(base)}.example.com"
        plan, tier, (seat_lo, seat_hi), (per_lo, per_hi) = rng.choices(_PLANS, weights=_PLAN_WEIGHTS)[0]
        seats = rng.randint(seat_lo, seat_hi)
        arr = Decimal(seats * rng.randint(per_lo, per_hi)).quantize(Decimal("1"))
        # Renewals spread evenly (a golden-ratio sequence, so even a small demo covers the range) from a
        # month overdue to a year ahead; the last 60 days before one are the "renewal" stage.
        spread = (i * 0.6180339887) % 1.0
        renewal = today + dt.timedelta(days=-30 + int(spread * 395) + rng.randint(-4, 4))
        years = rng.choices((1, 2, 3, 4), weights=(4, 3, 2, 1))[0]
        contract_start = renewal.replace(year=renewal.year - years) if (renewal.month, renewal.day) != (2, 29) \
            else renewal - dt.timedelta(days=365 * years)
        days_in = (today - contract_start).days
        if rng.random() < 0.06:
            stage = "churned"
        elif renewal <= today + dt.timedelta(days=60):
            stage = "renewal"
        elif days_in < 120:
            stage = "onboarding"
        elif days_in < 365:
            stage = "adoption"
        else:
            stage = "mature"
        items.append({
            "external_id": f"ACC-{1001 + i}",
            "name": name,
            "domain": domain,
            "plan": plan,
            "tier": tier,
            "arr": str(arr),
            "seats": seats,
            "contract_start": contract_start.isoformat(),
            "renewal_date": renewal.isoformat(),
            "lifecycle_stage": stage,
            "csm_email": rng.choice(csm_emails) if csm_emails and rng.random() < 0.92 else "",
        })
    return items


def contact_items(spec: DemoTenant, accounts: list[dict[str, Any]], *, per_account: int) -> list[dict[str, Any]]:
    items = []
    personas, weights = zip(*_PERSONAS, strict=True)
    for account in accounts:
        number = account["external_id"].removeprefix("ACC-")
        for j in range(per_account):
            rng = random.Random(f"{SEED}:{spec.slug}:contact:{number}:{j}")
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            persona = ("it_admin", "power_user")[j] if j < 2 else rng.choices(personas, weights=weights)[0]
            level = rng.choices(("beginner", "intermediate", "expert"),
                                weights=(2, 3, 4) if persona in ("it_admin", "power_user") else (5, 3, 1))[0]
            items.append({
                "external_id": f"CON-{number}-{j + 1}",
                "account": account["external_id"],
                # The contact number in the address keeps emails unique within the tenant.
                "email": f"{_ascii(first)}.{_ascii(last)}{j + 1}@{account['domain']}",
                "phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                "name": f"{first} {last}",
                "persona": persona,
                "knowledge_level": level,
            })
    return items


def account_updated_at(item: dict[str, Any], *, timezone: str, today: dt.date) -> dt.datetime:
    """When the account last changed, by its own seeded history: the latest of its contract start, last
    year's renewal, its entering the renewal stage (60 days before renewal) and its renewal date, that
    is before ``today``; at a working hour of that day (tenant's time zone). Not the moment of seeding."""
    start, renewal = dt.date.fromisoformat(item["contract_start"]), dt.date.fromisoformat(item["renewal_date"])
    moments = [start, renewal - dt.timedelta(days=365), renewal - dt.timedelta(days=60), renewal]
    day = max([m for m in moments if m < today] or [today - dt.timedelta(days=1)])
    rng = random.Random(f"{SEED}:updated:{item['external_id']}")
    at = dt.time(rng.randint(9, 16), rng.randint(0, 59), rng.randint(0, 59))
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(timezone))


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _ensure_demo_user() -> None:
    User = get_user_model()
    user = User.objects.filter(username=DEMO_EMAIL).first()
    if user is None:
        user = User.objects.create_user(username=DEMO_EMAIL, email=DEMO_EMAIL, password=DEMO_PASSWORD,
                                        first_name=DEMO_FIRST_NAME, last_name=DEMO_LAST_NAME)
    changed = False
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        changed = True
    if not (user.first_name or user.last_name):
        # create_tenant makes the first admin without a name; pages then showed the bare email
        user.first_name, user.last_name = DEMO_FIRST_NAME, DEMO_LAST_NAME
        changed = True
    if not user.is_staff:
        # Staff, not superuser: the admin site then shows exactly the demo tenants (TenantScopedAdmin).
        user.is_staff = True
        changed = True
    if changed:
        user.save()


def reset_demo_tenants() -> int:
    """Delete the demo tenants with everything they own (cascades); staff users stay."""
    return delete_tenants(slugs=[spec.slug for spec in DEMO_TENANTS])


class DemoDataError(RuntimeError):
    pass


def _check(result: BulkResult, what: str) -> None:
    if result.rejected:
        raise DemoDataError(f"{what}: the service rejected demo items: {result.rejected[:3]}")


def _agent_users(tenant: Tenant) -> list[tuple[Any, str]]:
    """The demo admin first (the Technical team in support.demo), then the staff with the agent role."""
    members = Membership.objects.filter(tenant=tenant).select_related("user").order_by("user__email")
    demo = [(m.user, m.role) for m in members if m.user.email == DEMO_EMAIL]
    return demo + [(m.user, m.role) for m in members if m.role == Role.AGENT and m.user.email != DEMO_EMAIL]


def _reviewer_users(tenant: Tenant) -> list[tuple[Any, str]]:
    """The admins and managers (QA reviewers in support.demo), by email."""
    members = (Membership.objects.filter(tenant=tenant, role__in=[Role.ADMIN, Role.MANAGER])
               .select_related("user").order_by("user__email"))
    return [(m.user, m.role) for m in members]


def seed_tenant(spec: DemoTenant, *, accounts: int, contacts_per_account: int, today: dt.date,
                events: int = 0, tickets: int = 0,
                progress: Callable[[int], None] = lambda n: None) -> DemoSummary:
    with transaction.atomic():
        tenant = Tenant.objects.filter(slug=spec.slug).first()
        if tenant is None:
            tenant = create_tenant(slug=spec.slug, name=spec.name, admin_email=DEMO_EMAIL,
                                            timezone_name=spec.timezone)
        fields = {"name": spec.name, "timezone": spec.timezone,
                  "fiscal_year_start_month": spec.fiscal_year_start_month}
        if any(getattr(tenant, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(tenant, k, v)
            tenant.save(update_fields=list(fields))
        staff = staff_rows(spec)
        with tenant_scope(tenant):
            for row in staff:
                create_staff_member(tenant=tenant, email=row["email"], role=row["role"], name=row["name"],
                                             password=None)
    _ensure_demo_user()
    csm_emails = [row["email"] for row in staff if row["role"] == Role.CSM]
    account_list = account_items(spec, count=accounts, csm_emails=csm_emails, today=today)
    contact_list = contact_items(spec, account_list, per_account=contacts_per_account)
    totals = {"accounts": BulkResult(), "contacts": BulkResult()}
    with tenant_scope(tenant):
        for kind, items, upsert in (("accounts", account_list, upsert_accounts),
                                    ("contacts", contact_list, upsert_contacts)):
            for chunk in _chunks(items, 200):
                result = upsert(tenant=tenant, items=chunk)
                _check(result, f"{spec.slug} {kind}")
                for name in ("created", "updated", "duplicates"):
                    setattr(totals[kind], name, getattr(totals[kind], name) + getattr(result, name))
                progress(len(chunk))
        contacts_by_account: dict[str, list[str]] = {}
        for item in contact_list:
            contacts_by_account.setdefault(item["account"], []).append(item["external_id"])
        health_demo.seed_catalog(tenant=tenant)
        usage = health_demo.seed_usage(tenant=tenant, accounts=account_list, contacts=contacts_by_account,
                                       today=today, total=events, progress=progress)
        support = support_demo.seed_support(tenant=tenant, agent_users=_agent_users(tenant), accounts=account_list,
                                            contacts=contacts_by_account, today=today, tickets=tickets,
                                            progress=progress, reviewer_users=_reviewer_users(tenant))
        learning_demo.seed_learning(tenant=tenant, today=today)  # after support: article steps need the articles
        # last: no later write may stamp "now" over the history's times
        backdate_updated_at(tenant=tenant, stamps={
            item["external_id"]: account_updated_at(item, timezone=spec.timezone, today=today)
            for item in account_list})
    return DemoSummary(
        tenant=tenant,
        staff=len(staff),
        accounts={k: getattr(totals["accounts"], k) for k in ("created", "updated", "duplicates")},
        contacts={k: getattr(totals["contacts"], k) for k in ("created", "updated", "duplicates")},
        events=usage,
        support=support,
    )


def demo_counts(tenant: Tenant) -> dict[str, int]:
    with tenant_scope(tenant):
        return {
            "members": Membership.objects.count(),
            "accounts": CustomerAccount.objects.count(),
            "contacts": Contact.objects.count(),
            "jobs": Job.objects.count(),
        }

