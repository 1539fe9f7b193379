"""Signing in and out, resetting a password, and choosing a tenant: all through the pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role
from tests.factories import MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's


def log_in(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


def reset_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body).group(1)


def test_login_with_right_and_wrong_password(world_a):
    a = world_a
    page = Client().get(reverse("login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()

    client = Client()
    response = log_in(client, a.csm.user.username, "wrong-password")
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    assert response.context["form"].non_field_errors()
    assert client.get(reverse("account-list", args=[a.tenant.slug])).status_code == 302  # still out

    response = log_in(client, a.csm.user.username, PASSWORD)
    assert response.wsgi_request.user == a.csm.user
    assert client.get(reverse("account-list", args=[a.tenant.slug])).status_code == 200


def test_login_keeps_the_page_asked_for(world_a):
    a = world_a
    client = Client()
    wanted = reverse("contact-list", args=[a.tenant.slug])
    redirect = client.get(wanted)
    assert redirect.status_code == 302 and redirect["Location"].startswith(reverse("login"))
    response = client.post(redirect["Location"], {"username": a.viewer.user.username, "password": PASSWORD,
                                                  "next": wanted})
    assert response.status_code == 302 and response["Location"] == wanted


def test_logout_is_post_only(world_a):
    a = world_a
    client = Client()
    log_in(client, a.admin.user.username, PASSWORD)
    tenant_home = reverse("account-list", args=[a.tenant.slug])
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(tenant_home).status_code == 200
    assert client.post(reverse("logout")).status_code in (200, 302)
    assert client.get(tenant_home).status_code == 302


def test_password_reset_through_the_pages(world_a):
    a = world_a
    user = a.viewer.user
    client = Client()
    assert client.get(reverse("password_reset")).status_code == 200
    response = client.post(reverse("password_reset"), {"email": user.email.upper()})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]

    confirm = client.get(reset_link(mail.outbox[0]), follow=True)
    assert confirm.context["validlink"]
    done = client.post(confirm.redirect_chain[-1][0], {"new_password1": "A-brand-new-pw-9",
                                                       "new_password2": "A-brand-new-pw-9"})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")

    assert not log_in(Client(), user.username, PASSWORD).wsgi_request.user.is_authenticated
    assert log_in(Client(), user.username, "A-brand-new-pw-9").wsgi_request.user == user


def test_reset_for_unknown_email_sends_nothing_and_reveals_nothing(world_a):
    response = Client().post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_member_who_never_set_a_password_can_ask_for_a_link(world_a):
    # Their invitation link may have expired: "Forgot your password?" is how they get a new one.
    a = world_a
    with a.scope():
        MembershipFactory(tenant=a.tenant, user=UserFactory(username="invited@alpha.test", password=None),
                          role=Role.CSM)
    invited = User.objects.get(username="invited@alpha.test")
    invited.set_unusable_password()
    invited.save()
    Client().post(reverse("password_reset"), {"email": "invited@alpha.test"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["invited@alpha.test"]
    inactive = UserFactory(username="gone@alpha.test", is_active=False)
    Client().post(reverse("password_reset"), {"email": inactive.email})
    assert len(mail.outbox) == 1


def test_tenant_switcher_lists_exactly_the_users_tenants(worlds):
    a, b = worlds
    TenantFactory(slug="charlie", name="Charlie Cloud")  # exists, but the user is not a member
    user = a.csm.user
    with b.scope():
        Membership.objects.create(tenant=b.tenant, user=user, role=Role.VIEWER)
    client = Client()
    log_in(client, user.username, PASSWORD)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert [m.tenant.slug for m in response.context["memberships_list"]] == ["alpha", "bravo"]
    body = response.content.decode()
    assert reverse("tenant-home", args=["alpha"]) in body and reverse("tenant-home", args=["bravo"]) in body
    assert "Charlie Cloud" not in body


def test_single_tenant_user_is_redirected_to_their_tenant(world_a):
    a = world_a
    client = Client()
    response = log_in(client, a.viewer.user.username, PASSWORD)
    assert response.redirect_chain[-1][0] == reverse("tenant-home", args=[a.tenant.slug])
    assert response.status_code == 200


def test_user_without_tenant_sees_an_empty_chooser(db):
    UserFactory(username="lonely@nowhere.test")
    client = Client()
    response = log_in(client, "lonely@nowhere.test", PASSWORD)
    assert response.status_code == 200 and response.context["memberships_list"] == []
    assert "not a member of any tenant" in response.content.decode()


def test_home_asks_anonymous_users_to_log_in(db):
    response = Client().get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
