"""Two tenants with look-alike data in every test database (DESIGN.md tenancy rule 6).

Both tenants hold accounts and contacts with the *same* external ids and names, so a query that
forgets its tenant finds a plausible wrong row instead of nothing, and tests notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiKey, Contact, CustomerAccount, Membership, Role, Tenant
from accounts.tenancy import tenant_scope
from cs_platform import parallel_reads
from tests.factories import (
    AccountFactory,
    ContactFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
    make_api_key,
)


@pytest.fixture(autouse=True)
def _close_parallel_read_connections():
    """Reports run outside a transaction (transactional tests, the live server) open connections in
    cs_platform.parallel_reads' threads; close them so the test database can be dropped."""
    yield
    parallel_reads.shutdown()


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Rate-limit counters (API, password-reset form) live in the per-process cache, outside the test's
    transaction: clear them so one test's requests do not use up another's quota."""
    cache.clear()
    yield


@dataclass
class TenantWorld:
    tenant: Tenant
    admin: Membership
    csm: Membership
    viewer: Membership
    accounts: list[CustomerAccount]
    contacts: list[Contact]
    api_key: ApiKey
    raw_key: str
    extra: dict = field(default_factory=dict)

    def client_for(self, membership: Membership | None = None) -> Client:
        client = Client()
        client.force_login((membership or self.admin).user)
        return client

    def api(self, raw_key: str | None = None) -> Client:
        return Client(headers={"Authorization": f"Bearer {raw_key or self.raw_key}"})

    def scope(self):
        return tenant_scope(self.tenant)


def build_world(slug: str, name: str) -> TenantWorld:
    tenant = TenantFactory(slug=slug, name=name, timezone="America/Los_Angeles")
    with tenant_scope(tenant):
        admin = MembershipFactory(tenant=tenant, user=UserFactory(username=f"admin@{slug}.test"), role=Role.ADMIN)
        csm = MembershipFactory(tenant=tenant, user=UserFactory(username=f"csm@{slug}.test"), role=Role.CSM)
        viewer = MembershipFactory(tenant=tenant, user=UserFactory(username=f"viewer@{slug}.test"), role=Role.VIEWER)
        accounts = [
            AccountFactory(tenant=tenant, external_id=f"acc-{i}", name=f"Acme {i}", owner_csm=csm.user,
                           tier="premium" if i % 2 else "standard")
            for i in range(3)
        ]
        contacts = [
            ContactFactory(tenant=tenant, account=accounts[i % 3], external_id=f"user-{i}",
                           email=f"user{i}@acme{i % 3}.example.com", name=f"Person {i}")
            for i in range(4)
        ]
        api_key, raw_key = make_api_key(tenant, raw=f"csk_test_key_of_{slug}")
    return TenantWorld(tenant, admin, csm, viewer, accounts, contacts, api_key, raw_key)


@pytest.fixture
def world_a(db) -> TenantWorld:
    return build_world("alpha", "Alpha Analytics")


@pytest.fixture
def world_b(db) -> TenantWorld:
    return build_world("bravo", "Bravo Billing")


@pytest.fixture
def worlds(world_a, world_b) -> tuple[TenantWorld, TenantWorld]:
    return world_a, world_b
