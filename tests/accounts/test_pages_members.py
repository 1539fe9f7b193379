"""Members page: admins list, add, re-role and remove members of their own tenant only; the last
admin stays; a new member sets a password through the link in their invitation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import CustomerAccount, Membership, Role
from accounts.services.tenants import MembershipError, change_member_role, remove_member
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def url(world, name: str, *args) -> str:
    return reverse(name, args=[world.tenant.slug, *args])


def roles(world) -> dict[str, str]:
    with world.scope():
        return dict(Membership.objects.filter(tenant=world.tenant).values_list("user__username", "role"))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_list_shows_only_this_tenants_members(worlds):
    a, b = worlds
    with b.scope():
        MembershipFactory(tenant=b.tenant, user=UserFactory(username="only-in-bravo@bravo.test"), role=Role.CSM)
    response = a.client_for(a.admin).get(url(a, "member-list"))
    assert response.status_code == 200
    body = response.content.decode()
    for m in (a.admin, a.csm, a.viewer):
        assert m.user.email in body
    assert "only-in-bravo@bravo.test" not in body and "@bravo.test" not in body
    listed = [m.user.email for m in response.context["members"]]
    assert listed == sorted(m.user.email for m in (a.admin, a.csm, a.viewer))


def test_nav_links_members_page_for_admins_only(world_a):
    a = world_a
    link = url(a, "member-list")
    assert link in a.client_for(a.admin).get(url(a, "account-list")).content.decode()
    assert link not in a.client_for(a.csm).get(url(a, "account-list")).content.decode()


def test_viewer_and_csm_get_403_and_change_nothing(world_a):
    a = world_a
    before = roles(a)
    for membership in (a.viewer, a.csm):
        client = a.client_for(membership)
        assert client.get(url(a, "member-list")).status_code == 403
        assert client.post(url(a, "member-list"), {"email": "x@new.test", "role": "admin"}).status_code == 403
        assert client.post(url(a, "member-role", membership.pk), {"role": "admin"}).status_code == 403
        assert client.post(url(a, "member-remove", a.admin.pk)).status_code == 403
    assert roles(a) == before
    assert not User.objects.filter(email="x@new.test").exists()
    assert mail.outbox == []


def test_add_existing_user_joins_without_a_new_user(worlds):
    a, b = worlds
    existing = b.csm.user  # a user of tenant B joins tenant A too
    users_before = User.objects.count()
    response = a.client_for(a.admin).post(url(a, "member-list"),
                                          {"email": existing.email.upper(), "role": "manager"}, follow=True)
    assert response.status_code == 200
    assert User.objects.count() == users_before
    assert roles(a)[existing.username] == Role.MANAGER
    assert roles(b)[existing.username] == Role.CSM  # their other tenant is untouched
    assert existing.email in response.content.decode()
    # They already have a password: the mail says where to log in, with no set-password link.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [existing.email]
    assert "/accounts/reset/" not in mail.outbox[0].body
    existing.refresh_from_db()
    assert existing.check_password("pw-for-tests-1")


def test_adding_a_member_twice_is_a_form_error_not_a_role_change(world_a):
    a = world_a
    response = a.client_for(a.admin).post(url(a, "member-list"), {"email": a.admin.user.email, "role": "viewer"})
    assert response.status_code == 200
    assert "already a member" in str(response.context["form"].errors["email"])
    assert roles(a)[a.admin.user.username] == Role.ADMIN


def test_add_form_errors_name_the_field(world_a):
    a = world_a
    response = a.client_for(a.admin).post(url(a, "member-list"), {"email": "not-an-email", "role": "owner"})
    errors = response.context["form"].errors
    assert "email" in errors and "role" in errors
    assert not User.objects.filter(username="not-an-email").exists()


def test_new_email_gets_a_link_that_sets_a_password_and_logs_in(world_a):
    a = world_a
    response = a.client_for(a.admin).post(url(a, "member-list"),
                                          {"email": "New.Person@Example.com", "name": "New Person", "role": "csm"})
    assert response.status_code == 302 and response["Location"] == url(a, "member-list")
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password() and user.get_full_name() == "New Person"
    assert roles(a)[user.username] == Role.CSM

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"] and a.tenant.name in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    client = Client()
    confirm = client.get(link, follow=True)
    assert confirm.status_code == 200 and confirm.context["validlink"]
    set_url = confirm.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Str0ng-and-long-pw", "new_password2": "Str0ng-and-long-pw"})
    assert done.status_code == 302

    login = Client().post(reverse("login"), {"username": "new.person@example.com",
                                             "password": "Str0ng-and-long-pw"}, follow=True)
    assert login.wsgi_request.user.is_authenticated
    # Their only tenant opens straight away.
    assert login.redirect_chain[-1][0] == url(a, "tenant-home")
    # The link works once.
    assert not Client().get(link, follow=True).context["validlink"]


def test_change_role(world_a):
    a = world_a
    client = a.client_for(a.admin)
    assert client.get(url(a, "member-role", a.viewer.pk)).status_code == 405
    response = client.post(url(a, "member-role", a.viewer.pk), {"role": "manager"}, follow=True)
    assert response.status_code == 200
    assert roles(a)[a.viewer.user.username] == Role.MANAGER
    assert any("is now Manager" in m for m in messages_of(response))
    # A bad role changes nothing.
    response = client.post(url(a, "member-role", a.viewer.pk), {"role": "owner"}, follow=True)
    assert roles(a)[a.viewer.user.username] == Role.MANAGER
    assert any("not changed" in m for m in messages_of(response))


def test_demoting_a_csm_unassigns_their_accounts(world_a):
    a = world_a
    a.client_for(a.admin).post(url(a, "member-role", a.csm.pk), {"role": "viewer"})
    with a.scope():
        assert not CustomerAccount.objects.filter(owner_csm=a.csm.user).exists()


def test_last_admin_can_be_neither_demoted_nor_removed(world_a):
    a = world_a
    client = a.client_for(a.admin)
    response = client.post(url(a, "member-role", a.admin.pk), {"role": "viewer"}, follow=True)
    assert any("last admin" in m for m in messages_of(response))
    response = client.post(url(a, "member-remove", a.admin.pk), follow=True)
    assert any("last admin" in m for m in messages_of(response))
    assert roles(a)[a.admin.user.username] == Role.ADMIN

    # With a second admin, the first may step down; then the second is the last one.
    client.post(url(a, "member-role", a.csm.pk), {"role": "admin"})
    response = client.post(url(a, "member-role", a.admin.pk), {"role": "manager"})
    assert response.status_code == 302 and roles(a)[a.admin.user.username] == Role.MANAGER
    other = a.client_for(a.csm)
    response = other.post(url(a, "member-remove", a.csm.pk), follow=True)
    assert any("last admin" in m for m in messages_of(response))
    assert roles(a)[a.csm.user.username] == Role.ADMIN


def test_services_guard_the_last_admin_too(world_a):
    a = world_a
    with a.scope():
        with pytest.raises(MembershipError):
            change_member_role(tenant=a.tenant, membership=a.admin, role=Role.CSM)
        with pytest.raises(MembershipError):
            remove_member(tenant=a.tenant, membership=a.admin)
        with pytest.raises(MembershipError):
            change_member_role(tenant=a.tenant, membership=a.viewer, role="owner")
        assert Membership.objects.get(pk=a.admin.pk).role == Role.ADMIN


def test_remove_member(worlds):
    a, b = worlds
    client = a.client_for(a.admin)
    assert client.get(url(a, "member-remove", a.csm.pk)).status_code == 405
    response = client.post(url(a, "member-remove", a.csm.pk), follow=True)
    assert response.status_code == 200
    assert a.csm.user.username not in roles(a)
    assert User.objects.filter(pk=a.csm.user.pk).exists()  # the user stays; only the membership goes
    with a.scope():
        assert not CustomerAccount.objects.filter(owner_csm=a.csm.user).exists()
    # They lose access to the tenant at once.
    assert a.client_for(a.csm).get(url(a, "account-list")).status_code == 404
    assert len(roles(b)) == 3


def test_admin_may_remove_themself_when_another_admin_remains(world_a):
    a = world_a
    client = a.client_for(a.admin)
    client.post(url(a, "member-role", a.csm.pk), {"role": "admin"})
    response = client.post(url(a, "member-remove", a.admin.pk))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert a.admin.user.username not in roles(a)


def test_member_list_query_count_is_constant(world_a):
    a = world_a
    client = a.client_for(a.admin)
    list_url = url(a, "member-list")
    client.get(list_url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        assert client.get(list_url).status_code == 200
    with a.scope():
        for i in range(15):
            MembershipFactory(tenant=a.tenant, user=UserFactory(username=f"extra{i}@alpha.test", first_name="Ex"),
                              role=Role.AGENT)
    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url)
    assert len(response.context["members"]) == 18
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
