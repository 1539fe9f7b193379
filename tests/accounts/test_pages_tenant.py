"""Operators create tenants (superusers only; everyone else gets a 404); tenant admins edit their
tenant's settings."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, Tenant
from accounts.tenancy import tenant_scope
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

NEW_TENANT = {"slug": "charlie", "name": "Charlie Cloud", "timezone": "Europe/Berlin",
              "fiscal_year_start_month": "4", "admin_email": "Boss@Charlie.example"}


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(UserFactory(username="ops@platform.test", is_superuser=True, is_staff=True))
    return client


def test_superuser_creates_a_tenant_whose_admin_sets_a_password(operator, world_a):
    page = operator.get(reverse("tenant-create"))
    assert page.status_code == 200
    assert '<option value="Europe/Berlin">' in page.content.decode()

    response = operator.post(reverse("tenant-create"), NEW_TENANT)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    tenant = Tenant.objects.get(slug="charlie")
    assert (tenant.name, tenant.timezone, tenant.fiscal_year_start_month) == ("Charlie Cloud", "Europe/Berlin", 4)
    with tenant_scope(tenant):
        admins = list(Membership.objects.filter(tenant=tenant).values_list("user__email", "role"))
    assert admins == [("boss@charlie.example", Role.ADMIN)]
    assert "Charlie Cloud" in operator.get(reverse("home")).content.decode()  # the success message

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["boss@charlie.example"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    confirm = client.get(link, follow=True)
    new_password = {"new_password1": "Charlie-pw-2025!", "new_password2": "Charlie-pw-2025!"}
    assert client.post(confirm.redirect_chain[-1][0], new_password).status_code == 302
    # Through the login page: axes' backend needs the request that client.login() does not give it.
    signed_in = client.post(reverse("login"), {"username": "boss@charlie.example", "password": "Charlie-pw-2025!"})
    assert signed_in.status_code == 302
    assert client.get(reverse("member-list", args=["charlie"])).status_code == 200


def test_non_superusers_get_404(world_a):
    a = world_a
    anonymous = Client()
    staff = Client()
    staff.force_login(UserFactory(username="staff@platform.test", is_staff=True))
    for client in (anonymous, a.client_for(a.admin), staff):
        assert client.get(reverse("tenant-create")).status_code == 404
        assert client.post(reverse("tenant-create"), NEW_TENANT).status_code == 404
    assert not Tenant.objects.filter(slug="charlie").exists()
    assert not User.objects.filter(email="boss@charlie.example").exists()
    assert mail.outbox == []


def test_duplicate_slug_and_bad_zone_are_form_errors(operator, world_a):
    response = operator.post(reverse("tenant-create"), NEW_TENANT | {"slug": "Alpha", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already exists" in str(errors["slug"])
    assert "timezone" in errors
    response = operator.post(reverse("tenant-create"), NEW_TENANT | {"fiscal_year_start_month": "13",
                                                                     "admin_email": "nope"})
    errors = response.context["form"].errors
    assert set(errors) == {"fiscal_year_start_month", "admin_email"}
    assert Tenant.objects.count() == 1 and mail.outbox == []


def test_chooser_links_the_new_tenant_page_for_superusers_only(operator, worlds):
    a, b = worlds
    page = operator.get(reverse("home"))
    assert page.status_code == 200 and reverse("tenant-create") in page.content.decode()
    single_tenant = b.client_for(b.admin)
    with b.scope():
        Membership.objects.create(tenant=b.tenant, user=a.admin.user, role=Role.VIEWER)
    page = a.client_for(a.admin).get(reverse("home"))
    assert page.status_code == 200 and reverse("tenant-create") not in page.content.decode()
    assert single_tenant.get(reverse("home")).status_code == 302


def test_admin_edits_tenant_settings(world_a):
    a = world_a
    client = a.client_for(a.admin)
    settings_url = reverse("tenant-settings", args=[a.tenant.slug])
    page = client.get(settings_url)
    assert page.status_code == 200
    assert f'value="{a.tenant.slug}" readonly' in page.content.decode()
    assert settings_url in page.content.decode()  # in the nav
    response = client.post(settings_url, {"name": "Alpha Renamed", "timezone": "Asia/Tokyo",
                                          "fiscal_year_start_month": "7", "slug": "hijacked"})
    assert response.status_code == 302
    a.tenant.refresh_from_db()
    assert (a.tenant.slug, a.tenant.name, a.tenant.timezone, a.tenant.fiscal_year_start_month) == (
        "alpha", "Alpha Renamed", "Asia/Tokyo", 7)


def test_tenant_settings_errors_change_nothing(world_a):
    a = world_a
    response = a.client_for(a.admin).post(reverse("tenant-settings", args=[a.tenant.slug]),
                                          {"name": "", "timezone": "Nowhere/Land", "fiscal_year_start_month": "0"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "timezone", "fiscal_year_start_month"}
    a.tenant.refresh_from_db()
    assert (a.tenant.name, a.tenant.timezone, a.tenant.fiscal_year_start_month) == (
        "Alpha Analytics", "America/Los_Angeles", 1)


def test_only_admins_edit_tenant_settings(worlds):
    a, b = worlds
    settings_url = reverse("tenant-settings", args=[a.tenant.slug])
    for membership in (a.csm, a.viewer):
        client = a.client_for(membership)
        assert client.get(settings_url).status_code == 403
        assert client.post(settings_url, {"name": "Taken over", "timezone": "UTC",
                                          "fiscal_year_start_month": "1"}).status_code == 403
        assert settings_url not in client.get(reverse("account-list", args=[a.tenant.slug])).content.decode()
    # Another tenant's admin: no such tenant for them.
    assert b.client_for(b.admin).post(settings_url, {"name": "Taken over", "timezone": "UTC",
                                                     "fiscal_year_start_month": "1"}).status_code == 404
    a.tenant.refresh_from_db()
    assert a.tenant.name == "Alpha Analytics"
