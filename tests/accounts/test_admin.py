"""The admin across tenants: superusers see all; a tenant admin who is staff sees only their tenants."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Contact, CustomerAccount, Job, Membership
from accounts.tenancy import all_tenants
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tests_read_across_tenants():
    """The admin runs under the row-level security bypass (accounts.middleware.AdminAcrossTenantsMiddleware);
    these tests check what it did, in every tenant, with the same bypass. The admin's own filtering by the
    user's tenants is what they test."""
    with all_tenants("test: the admin's results, read across tenants"):
        yield


@pytest.fixture
def staff_admin_a(worlds):
    a, _ = worlds
    user = a.admin.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root@example.com", is_staff=True, is_superuser=True)


def _names_in_changelist(client, model: str, **params) -> str:
    response = client.get(reverse(f"admin:accounts_{model}_changelist"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_staff_admin_sees_only_their_tenants_accounts(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    response = client.get(reverse("admin:accounts_customeraccount_changelist"))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert {r.tenant_id for r in rows} == {a.tenant.pk}
    assert len(rows) == len(a.accounts)
    html = response.content.decode()
    assert a.tenant.name in html and b.tenant.name not in html
    # Every other tenant-owned changelist works without a tenant scope and shows only tenant A.
    for model in ("contact", "membership", "apikey", "job", "tenant"):
        html = _names_in_changelist(client, model)
        assert b.tenant.name not in html, model


def test_staff_admin_cannot_open_or_change_another_tenants_row(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    theirs = b.accounts[0]
    url = reverse("admin:accounts_customeraccount_change", args=[theirs.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0] == reverse("admin:index")
    assert "doesn’t exist" in response.content.decode() or "doesn't exist" in response.content.decode()
    response = client.post(url, {"name": "Hijacked"})
    assert response.status_code in (302, 404)
    theirs.refresh_from_db()
    assert theirs.name != "Hijacked"
    assert client.get(reverse("admin:accounts_tenant_change", args=[b.tenant.pk])).status_code == 302
    assert client.get(reverse("admin:accounts_contact_change", args=[b.contacts[0].pk])).status_code == 302


def test_staff_admin_edits_own_row_but_not_its_tenant(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    mine = a.accounts[0]
    url = reverse("admin:accounts_customeraccount_change", args=[mine.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "tenant" not in form.fields  # read-only once the row exists
    owner_choices = set(form.fields["owner_csm"].queryset.values_list("pk", flat=True))
    assert a.csm.user.pk in owner_choices and b.csm.user.pk not in owner_choices
    data = {
        "tenant": b.tenant.pk,  # ignored: the field is read-only
        "external_id": mine.external_id, "name": "Renamed", "domain": mine.domain, "plan": mine.plan,
        "tier": mine.tier, "arr": "100.00", "seats": "10", "contract_start": "2026-01-01",
        "renewal_date": "2027-01-01", "lifecycle_stage": "adoption", "owner_csm": a.csm.user.pk,
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    mine.refresh_from_db()
    assert (mine.name, mine.tenant_id) == ("Renamed", a.tenant.pk)
    # The owner must be staff of the account's tenant: tenant B's CSM is refused.
    data["owner_csm"] = b.csm.user.pk
    response = client.post(url, data)
    assert response.status_code == 200
    assert "owner_csm" in response.context["adminform"].form.errors


def test_staff_admin_adds_rows_only_in_own_tenant(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    url = reverse("admin:accounts_contact_add")
    page = client.get(url)
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields["tenant"].queryset) == {a.tenant}
    base = {"external_id": "new-1", "name": "New Person", "email": "new@acme0.example.com",
            "knowledge_level": "beginner"}
    # Another tenant, or an account of another tenant: refused, nothing written.
    response = client.post(url, {**base, "tenant": b.tenant.pk, "account": b.accounts[0].pk})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = client.post(url, {**base, "tenant": a.tenant.pk, "account": b.accounts[0].pk})
    assert response.status_code == 200 and "account" in response.context["adminform"].form.errors
    assert not Contact.objects.unscoped().filter(external_id="new-1").exists()
    # A duplicate email within the tenant is caught by the (tenant-scoped) constraint check.
    response = client.post(url, {**base, "tenant": a.tenant.pk, "account": a.accounts[0].pk,
                                 "email": a.contacts[0].email})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    response = client.post(url, {**base, "tenant": a.tenant.pk, "account": a.accounts[0].pk})
    assert response.status_code == 302
    created = Contact.objects.unscoped().get(external_id="new-1")
    assert created.tenant_id == a.tenant.pk


def test_account_autocomplete_lists_only_own_tenant(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "accounts", "model_name": "contact", "field_name": "account", "term": "Acme",
    })
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    assert ids == {acc.pk for acc in a.accounts}


def test_non_admin_members_get_no_admin_access(worlds, client):
    a, _ = worlds
    user = a.csm.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get(reverse("admin:accounts_customeraccount_changelist")).status_code == 403


def test_superuser_sees_every_tenant(worlds, superuser, client):
    a, b = worlds
    client.force_login(superuser)
    response = client.get(reverse("admin:accounts_customeraccount_changelist"))
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert {r.tenant_id for r in rows} == {a.tenant.pk, b.tenant.pk}
    for model in ("contact", "membership", "apikey", "job", "tenant"):
        html = _names_in_changelist(client, model)
        assert a.tenant.name in html and b.tenant.name in html, model
    theirs = b.accounts[0]
    assert client.get(reverse("admin:accounts_customeraccount_change", args=[theirs.pk])).status_code == 200
    # The tenant filter narrows the list.
    response = client.get(reverse("admin:accounts_customeraccount_changelist"), {"tenant": b.tenant.pk})
    assert {r.tenant_id for r in response.context["cl"].result_list} == {b.tenant.pk}


def test_api_key_admin_shows_the_hash_read_only_and_no_add(worlds, superuser, client):
    a, _ = worlds
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_apikey_change", args=[a.api_key.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "key_hash" not in form.fields and "name" in form.fields
    html = page.content.decode()
    assert a.api_key.key_hash in html and a.raw_key not in html
    assert client.get(reverse("admin:accounts_apikey_add")).status_code == 403


def test_membership_inline_on_tenant_page(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    page = client.get(reverse("admin:accounts_tenant_change", args=[a.tenant.pk]))
    assert page.status_code == 200
    inline = page.context["inline_admin_formsets"][0].formset
    assert {f.instance.user_id for f in inline.forms if f.instance.pk} == set(
        Membership.objects.unscoped().filter(tenant=a.tenant).values_list("user_id", flat=True))
    # A user from tenant B can't be picked for tenant A's memberships.
    users = set(inline.empty_form.fields["user"].queryset)
    assert b.csm.user not in users and a.csm.user in users


def test_account_delete_by_staff_admin(worlds, staff_admin_a, client):
    a, b = worlds
    client.force_login(staff_admin_a)
    mine = a.accounts[2]
    url = reverse("admin:accounts_customeraccount_delete", args=[mine.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    # Its contacts went with it (the deletion collector does not go through the scoped manager).
    assert not Contact.objects.unscoped().filter(account_id=mine.pk).exists()
    assert not CustomerAccount.objects.unscoped().filter(pk=mine.pk).exists()
    assert CustomerAccount.objects.unscoped().filter(tenant=b.tenant).count() == len(b.accounts)


@pytest.mark.parametrize("who", ["superuser", "staff_admin_a"])
def test_every_admin_page_renders_without_a_tenant_scope(worlds, who, request, client):
    a, _ = worlds
    client.force_login(request.getfixturevalue(who))
    with a.scope():
        job = Job.objects.create(kind="import_accounts", state=Job.State.DONE, input_text="x" * 10)
    rows = {"tenant": a.tenant, "membership": a.csm, "apikey": a.api_key, "customeraccount": a.accounts[0],
            "contact": a.contacts[0], "job": job}
    for model, obj in rows.items():
        assert client.get(reverse(f"admin:accounts_{model}_changelist")).status_code == 200, model
        assert client.get(reverse(f"admin:accounts_{model}_change", args=[obj.pk])).status_code == 200, model
        assert client.get(reverse(f"admin:accounts_{model}_history", args=[obj.pk])).status_code == 200, model
    for model in ("membership", "customeraccount", "contact"):
        assert client.get(reverse(f"admin:accounts_{model}_add")).status_code == 200, model
    assert client.get(reverse("admin:index")).status_code == 200


def test_superuser_deletes_a_tenant_with_everything_it_owns(worlds, superuser, client):
    a, b = worlds
    client.force_login(superuser)
    url = reverse("admin:accounts_tenant_delete", args=[a.tenant.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not CustomerAccount.objects.unscoped().filter(tenant_id=a.tenant.pk).exists()
    assert CustomerAccount.objects.unscoped().filter(tenant=b.tenant).count() == len(b.accounts)
