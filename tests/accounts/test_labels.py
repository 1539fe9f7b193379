"""Labels people read: acronyms stay upper-case, plurals are English, staff have names, as a new user
reported (issue 11)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.forms import AccountFilterForm
from accounts.services.tenants import create_staff_member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sort_menu_says_arr_not_arr_capitalized(world_a):
    with world_a.scope():
        labels = dict(AccountFilterForm(tenant=world_a.tenant).fields["sort"].choices)
    assert labels["arr"] == "ARR ↑" and labels["-arr"] == "ARR ↓"
    page = world_a.client_for(world_a.admin).get(reverse("account-list", args=[world_a.tenant.slug]))
    assert ">ARR ↓<" in page.content.decode() and "Arr" not in page.content.decode()


def test_no_model_is_pluralized_by_appending_s_to_a_y():
    wrong = {m._meta.label: str(m._meta.verbose_name_plural) for m in apps.get_models()
             if re.search(r"[^aeiou]ys$", str(m._meta.verbose_name_plural))}
    assert wrong == {}


def test_admin_index_names_contact_identities(db):
    root = UserFactory(username="root-labels@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Contact identities" in page and "identitys" not in page


def test_a_nameless_staff_user_takes_the_name_given_and_a_named_one_keeps_theirs(world_a):
    nameless = UserFactory(username="first-admin@alpha.test", email="first-admin@alpha.test", first_name="",
                           last_name="")
    named = UserFactory(username="named@alpha.test", email="named@alpha.test", first_name="Rosa", last_name="Park")
    with world_a.scope():
        create_staff_member(tenant=world_a.tenant, email=nameless.email, role="csm", name="Demo User")
        create_staff_member(tenant=world_a.tenant, email=named.email, role="csm", name="Somebody Else")
    nameless.refresh_from_db()
    named.refresh_from_db()
    assert (nameless.first_name, nameless.last_name) == ("Demo", "User")
    assert (named.first_name, named.last_name) == ("Rosa", "Park")
