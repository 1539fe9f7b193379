import pytest
from django.urls import reverse

from accounts.models import CustomerAccount, Membership
from accounts.tenancy import TenantScopeError, all_tenants, current_tenant_or_none, tenant_scope, tenant_task


def test_scoped_manager_raises_outside_a_tenant_scope(worlds):
    with pytest.raises(TenantScopeError):
        list(CustomerAccount.objects.all())
    with pytest.raises(TenantScopeError):
        CustomerAccount.objects.filter(external_id="acc-1").exists()


def test_scoped_manager_sees_only_the_active_tenant(worlds):
    a, b = worlds
    with a.scope():
        assert {x.tenant_id for x in CustomerAccount.objects.all()} == {a.tenant.pk}
        assert CustomerAccount.objects.get(external_id="acc-1").tenant_id == a.tenant.pk
        # Reverse relations go through the scoped manager too.
        assert a.accounts[0].contacts.count() >= 1
    with b.scope():
        assert CustomerAccount.objects.get(external_id="acc-1").tenant_id == b.tenant.pk


def test_unscoped_is_the_explicit_bypass(worlds):
    a, _ = worlds
    # The ORM bypass alone: the database still shows only the scope's rows, or none outside a scope.
    assert CustomerAccount.objects.unscoped().filter(external_id="acc-1").count() == 0
    with a.scope():
        assert CustomerAccount.objects.unscoped().filter(external_id="acc-1").count() == 1
    # With the database's bypass too: every tenant's.
    with all_tenants("test: reading both tenants"):
        assert CustomerAccount.objects.unscoped().filter(external_id="acc-1").count() == 2


def test_saving_a_row_of_another_tenant_inside_a_scope_raises(worlds):
    a, b = worlds
    with a.scope(), pytest.raises(TenantScopeError):
        b.accounts[0].save()


def test_create_defaults_to_the_scoped_tenant(worlds):
    a, _ = worlds
    with a.scope():
        acc = CustomerAccount.objects.create(external_id="new", name="New")
    assert acc.tenant_id == a.tenant.pk


def test_tenant_task_enters_and_leaves_the_scope(worlds):
    a, _ = worlds

    @tenant_task
    def count_accounts(tenant_id):
        assert current_tenant_or_none().pk == tenant_id
        return CustomerAccount.objects.count()

    assert count_accounts(a.tenant.pk) == 3
    assert current_tenant_or_none() is None


def test_pages_404_for_non_members_and_unknown_tenants(worlds, client):
    a, b = worlds
    client.force_login(a.admin.user)
    assert client.get(reverse("account-list", args=[a.tenant.slug])).status_code == 200
    assert client.get(reverse("account-list", args=[b.tenant.slug])).status_code == 404
    assert client.get(reverse("account-list", args=["no-such-tenant"])).status_code == 404


def test_pages_redirect_anonymous_users_to_login(worlds, client):
    a, _ = worlds
    response = client.get(reverse("account-list", args=[a.tenant.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_role_permissions_apply(worlds):
    a, _ = worlds
    assert a.client_for(a.viewer).get(reverse("apikey-list", args=[a.tenant.slug])).status_code == 403
    assert a.client_for(a.admin).get(reverse("apikey-list", args=[a.tenant.slug])).status_code == 200


def test_home_lists_tenants_for_multi_tenant_users(worlds, client):
    a, b = worlds
    with b.scope():
        Membership.objects.create(user=a.admin.user, role="viewer")
    client.force_login(a.admin.user)
    page = client.get(reverse("home")).content.decode()
    assert "Alpha Analytics" in page and "Bravo Billing" in page
    # The scope never outlives the request.
    assert current_tenant_or_none() is None
    with tenant_scope(a.tenant):
        assert Membership.objects.filter(user=a.admin.user).count() == 1


def test_fan_out_enqueues_the_task_once_per_tenant(worlds):
    from accounts.models import Tenant
    from accounts.tenancy import fan_out_per_tenant

    class RecordingTask:  # stands in for the broker: only what would be enqueued matters here
        def __init__(self):
            self.calls = []

        def delay(self, tenant_id):
            self.calls.append(tenant_id)

    task = RecordingTask()
    assert fan_out_per_tenant(task) == Tenant.objects.count() == 2
    assert sorted(task.calls) == sorted(w.tenant.pk for w in worlds)
