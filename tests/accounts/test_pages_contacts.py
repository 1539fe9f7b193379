"""Contact pages: list (search, filters, pagination, htmx partial), detail, create/edit."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Contact
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def list_url(world, **params) -> str:
    return reverse("contact-list", args=[world.tenant.slug]) + ("?" + urlencode(params) if params else "")


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


def test_list_search_and_filters(worlds):
    a, b = worlds
    with a.scope():
        ContactFactory(account=a.accounts[2], name="Grace Expert", email="grace@hopper.example", persona="admin",
                       knowledge_level="expert", phone="+1 555 0100")
    with b.scope():
        ContactFactory(account=b.accounts[2], name="Bravo Person", persona="admin")
    client = a.client_for(a.viewer)
    assert names(client.get(list_url(a))) == ["Grace Expert", "Person 0", "Person 1", "Person 2", "Person 3"]
    assert names(client.get(list_url(a, q="hopper"))) == ["Grace Expert"]
    assert names(client.get(list_url(a, q="555 0100"))) == ["Grace Expert"]
    assert names(client.get(list_url(a, account=a.accounts[0].pk))) == ["Person 0", "Person 3"]
    assert names(client.get(list_url(a, persona="admin"))) == ["Grace Expert"]
    assert names(client.get(list_url(a, knowledge="expert"))) == ["Grace Expert"]
    assert "Bravo Person" not in client.get(list_url(a)).content.decode()


def test_account_of_another_tenant_is_an_ignored_filter(worlds):
    a, b = worlds
    response = a.client_for(a.viewer).get(list_url(a, account=b.accounts[0].pk, knowledge="guru"))
    assert response.status_code == 200
    assert len(names(response)) == 4
    body = response.content.decode()
    assert "Filter “Account” ignored" in body and "Filter “Knowledge level” ignored" in body


def test_pagination_and_htmx_partial(world_a):
    a = world_a
    with a.scope():
        for i in range(55):
            ContactFactory(account=a.accounts[0], name=f"Many {i:02d}")
    client = a.client_for(a.csm)
    second = client.get(list_url(a, q="Many", page=2), headers={"HX-Request": "true"})
    body = second.content.decode()
    assert "<html" not in body and "Many 54" in body and "Many 49" not in body
    assert "Page 2 of 2" in body


def test_list_queries_do_not_grow_with_rows(world_a):
    a = world_a
    client = a.client_for(a.csm)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(list_url(a)).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    with a.scope():
        for _ in range(26):
            ContactFactory(account=AccountFactory(tenant=a.tenant))
    assert count() == small


def test_detail(worlds):
    a, b = worlds
    contact = a.contacts[1]
    response = a.client_for(a.viewer).get(reverse("contact-detail", args=[a.tenant.slug, contact.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert contact.email in body and "Acme 1" in body
    other = b.contacts[1]
    assert a.client_for(a.viewer).get(reverse("contact-detail", args=[a.tenant.slug, other.pk])).status_code == 404


def _data(world, **overrides) -> dict:
    data = {"external_id": "c-new", "account": world.accounts[1].pk, "name": "Ada Lovelace",
            "email": "Ada@Example.com", "phone": "+44 20 7946 0000", "persona": "admin", "knowledge_level": "expert"}
    data.update(overrides)
    return data


def test_create_contact_and_preselected_account(world_a):
    a = world_a
    url = reverse("contact-create", args=[a.tenant.slug])
    client = a.client_for(a.csm)
    page = client.get(url, {"account": a.accounts[2].pk})
    assert page.context["form"].initial["account"] == str(a.accounts[2].pk)
    response = client.post(url, _data(a))
    assert response.status_code == 302
    with a.scope():
        contact = Contact.objects.get(external_id="c-new")
    assert contact.email == "ada@example.com" and contact.account == a.accounts[1]
    assert response["Location"] == reverse("contact-detail", args=[a.tenant.slug, contact.pk])


def test_contact_form_errors(worlds):
    a, b = worlds
    url = reverse("contact-create", args=[a.tenant.slug])
    client = a.client_for(a.csm)
    # The email of an existing contact, in another case; an account of the other tenant; a bad phone.
    response = client.post(url, _data(a, email="USER1@acme1.example.com", account=b.accounts[1].pk, phone="call me"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already has this email" in errors["email"][0]
    assert "account" in errors and "phone" in errors
    response = client.post(url, _data(a, external_id="user-2"))
    assert "already has this external id" in response.context["form"].errors["external_id"][0]
    with a.scope():
        assert not Contact.objects.filter(external_id="c-new").exists()


def test_edit_contact_keeps_its_own_email(world_a):
    a = world_a
    contact = a.contacts[0]
    url = reverse("contact-edit", args=[a.tenant.slug, contact.pk])
    response = a.client_for(a.csm).post(url, _data(a, external_id="user-0", email=contact.email.upper(),
                                                   name="Renamed"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Renamed" and contact.account == a.accounts[1]


@pytest.mark.parametrize("name", ["contact-create", "contact-edit", "contact-import"])
def test_viewer_gets_403_on_contact_edit_pages(world_a, name):
    a = world_a
    args = [a.tenant.slug] + ([a.contacts[0].pk] if name == "contact-edit" else [])
    client = a.client_for(a.viewer)
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), _data(a)).status_code == 403
