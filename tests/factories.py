"""factory-boy factories. Build tenant-owned rows inside ``tenant_scope(tenant)`` or pass ``tenant``.

A tenant-owned row built outside any scope is written inside its own tenant's scope (row-level
security refuses a row of a tenant that is not in scope, DESIGN.md tenancy rule 8); inside another
tenant's scope it still fails, as the scoped save does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from accounts.models import ApiKey, Contact, CustomerAccount, Membership, Role, Tenant
from accounts.models.tenants import hash_api_key
from accounts.tenancy import current_tenant_or_none, tenant_scope


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.get("tenant")
        if current_tenant_or_none() is not None or tenant is None:
            return super()._create(model_class, *args, **kwargs)
        with tenant_scope(tenant):
            return super()._create(model_class, *args, **kwargs)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Tenant {n}")
    timezone = "UTC"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("pw-for-tests-1")


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN


class AccountFactory(TenantOwnedFactory):
    class Meta:
        model = CustomerAccount

    tenant = factory.SubFactory(TenantFactory)
    external_id = factory.Sequence(lambda n: f"acc-{n}")
    name = factory.Sequence(lambda n: f"Account {n}")
    domain = factory.LazyAttribute(lambda o: f"{o.external_id}.example.com")
    plan = "growth"
    tier = "standard"
    arr = Decimal("12000.00")
    seats = 25
    contract_start = dt.date(2026, 1, 1)
    renewal_date = dt.date(2027, 1, 1)


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    tenant = factory.SelfAttribute("account.tenant")
    account = factory.SubFactory(AccountFactory)
    external_id = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.external_id}@{o.account.domain}")
    name = factory.Sequence(lambda n: f"Person {n}")
    persona = "end_user"


def make_api_key(tenant: Tenant, scopes=("read", "write", "ingest"), raw: str | None = None) -> tuple[ApiKey, str]:
    raw = raw or f"csk_test_{tenant.slug}_{'_'.join(scopes)}"
    with tenant_scope(tenant):
        key = ApiKey.objects.create(tenant=tenant, name="test", prefix=raw[:12], key_hash=hash_api_key(raw),
                                    scopes=list(scopes))
    return key, raw
