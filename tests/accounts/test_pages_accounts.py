"""Account pages: list (search, filters, sort, pagination, htmx partial), detail, create/edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CustomerAccount, LifecycleStage
from accounts.timeline.selectors import account_timeline
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def list_url(world, **params) -> str:
    url = reverse("account-list", args=[world.tenant.slug])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def names(response) -> list[str]:
    return [a.name for a in response.context["page"].object_list]


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_only_this_tenants_accounts_with_contact_counts(worlds):
    a, b = worlds
    with b.scope():
        AccountFactory(tenant=b.tenant, name="Bravo secret")
    response = a.client_for(a.viewer).get(list_url(a))
    assert response.status_code == 200
    assert names(response) == ["Acme 0", "Acme 1", "Acme 2"]
    assert "Bravo secret" not in response.content.decode()
    # world: 4 contacts spread over accounts i % 3 -> Acme 0 has two
    counts = {acc.name: acc.contact_count for acc in response.context["page"].object_list}
    assert counts == {"Acme 0": 2, "Acme 1": 1, "Acme 2": 1}


def test_search_matches_name_domain_and_external_id(world_a):
    a = world_a
    with a.scope():
        AccountFactory(tenant=a.tenant, name="Globex", domain="globex.io", external_id="crm-77")
    client = a.client_for(a.admin)  # all accounts by default (a CSM lands on "mine")
    assert names(client.get(list_url(a, q="globex"))) == ["Globex"]
    assert names(client.get(list_url(a, q="GLOBEX.IO"))) == ["Globex"]
    assert names(client.get(list_url(a, q="crm-77"))) == ["Globex"]
    assert names(client.get(list_url(a, q="nothing-like-it"))) == []


def test_filters_by_stage_tier_and_owner(world_a):
    a = world_a
    with a.scope():
        other_csm = MembershipFactory(tenant=a.tenant, user=UserFactory(), role="csm")
        AccountFactory(tenant=a.tenant, name="Churny", lifecycle_stage=LifecycleStage.CHURNED, tier="premium",
                       owner_csm=other_csm.user)
    client = a.client_for(a.admin)  # all accounts by default (a CSM lands on "mine")
    assert names(client.get(list_url(a, stage="churned"))) == ["Churny"]
    assert names(client.get(list_url(a, tier="premium"))) == ["Acme 1", "Churny"]
    assert names(client.get(list_url(a, owner=other_csm.user.pk))) == ["Churny"]
    assert names(client.get(list_url(a, owner=a.csm.user.pk, tier="premium"))) == ["Acme 1"]


def test_renewal_window_counts_days_in_the_tenant_time_zone(world_a):
    a = world_a  # America/Los_Angeles
    # 2026-03-10 05:00 UTC is still 2026-03-09 in Los Angeles.
    fixed_now = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
    local_today = dt.date(2026, 3, 9)
    with a.scope():
        CustomerAccount.objects.filter(tenant=a.tenant).update(renewal_date=None)
        AccountFactory(tenant=a.tenant, name="Yesterday", renewal_date=local_today - dt.timedelta(days=1))
        AccountFactory(tenant=a.tenant, name="Today", renewal_date=local_today)
        AccountFactory(tenant=a.tenant, name="In 30", renewal_date=local_today + dt.timedelta(days=30))
        AccountFactory(tenant=a.tenant, name="In 31", renewal_date=local_today + dt.timedelta(days=31))
        AccountFactory(tenant=a.tenant, name="In 200", renewal_date=local_today + dt.timedelta(days=200))
    client = a.client_for(a.admin)  # all accounts by default (a CSM lands on "mine")
    with mock.patch("django.utils.timezone.now", return_value=fixed_now):
        assert names(client.get(list_url(a, renewal="overdue"))) == ["Yesterday"]
        assert names(client.get(list_url(a, renewal="30"))) == ["In 30", "Today"]
        assert names(client.get(list_url(a, renewal="60"))) == ["In 30", "In 31", "Today"]
        assert names(client.get(list_url(a, renewal="180"))) == ["In 30", "In 31", "Today"]


def test_sorting_is_whitelisted_and_both_directions_work(world_a):
    a = world_a
    with a.scope():
        for acc, arr, seats in zip(a.accounts, ("300", "100", "200"), (5, None, 50), strict=True):
            acc.arr, acc.seats = Decimal(arr), seats
            acc.save()
    client = a.client_for(a.csm)
    assert names(client.get(list_url(a, sort="arr"))) == ["Acme 1", "Acme 2", "Acme 0"]
    assert names(client.get(list_url(a, sort="-arr"))) == ["Acme 0", "Acme 2", "Acme 1"]
    # Accounts without seats come last in both directions.
    assert names(client.get(list_url(a, sort="seats"))) == ["Acme 0", "Acme 2", "Acme 1"]
    assert names(client.get(list_url(a, sort="-seats"))) == ["Acme 2", "Acme 0", "Acme 1"]
    assert names(client.get(list_url(a, sort="-name"))) == ["Acme 2", "Acme 1", "Acme 0"]
    # A field that is not offered (here one that would leak through a join) is ignored, not used.
    response = client.get(list_url(a, sort="owner_csm__password"))
    assert response.status_code == 200
    assert names(response) == ["Acme 0", "Acme 1", "Acme 2"]
    assert "Filter “Sort” ignored" in response.content.decode()


def test_bad_filter_values_are_ignored_with_a_message_never_a_500(worlds):
    a, b = worlds
    client = a.client_for(a.csm)
    # owner: a user of the other tenant; stage/renewal: not offered; page: not a number.
    response = client.get(list_url(a, owner=b.csm.user.pk, stage="zombie", renewal="7", page="abc", q="Acme"))
    assert response.status_code == 200
    assert names(response) == ["Acme 0", "Acme 1", "Acme 2"]
    body = response.content.decode()
    assert "Filter “Owner CSM” ignored" in body
    assert "Filter “Stage” ignored" in body
    assert "Filter “Renewal” ignored" in body
    assert client.get(list_url(a, owner="not-a-number")).status_code == 200


def test_pagination_50_per_page(world_a):
    a = world_a
    with a.scope():
        for i in range(60):
            AccountFactory(tenant=a.tenant, name=f"Bulk {i:03d}")
    client = a.client_for(a.admin)  # all accounts by default (a CSM lands on "mine")
    first = client.get(list_url(a, q="Bulk"))
    assert len(names(first)) == 50 and names(first)[0] == "Bulk 000"
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(list_url(a, q="Bulk", page=2))
    assert names(second) == [f"Bulk {i:03d}" for i in range(50, 60)]
    assert names(client.get(list_url(a, q="Bulk", page=99))) == names(second)  # out of range -> last page


def test_htmx_request_gets_only_the_results_partial(world_a):
    a = world_a
    client = a.client_for(a.csm)
    full = client.get(list_url(a, q="Acme 1"))
    assert "<html" in full.content.decode() and 'id="filters"' in full.content.decode()
    partial = client.get(list_url(a, q="Acme 1"), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert partial.status_code == 200
    assert "<html" not in body and 'id="filters"' not in body
    assert "Acme 1" in body and "Acme 2" not in body
    assert partial["Vary"] and "HX-Request" in partial["Vary"]
    # Back button with htmx's history cache missed: htmx replaces the whole body, so send the page.
    restore = client.get(list_url(a, q="Acme 1"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert 'id="filters"' in restore.content.decode()


def test_list_page_has_filters_wired_for_htmx_and_export_keeps_the_filters(world_a):
    a = world_a
    body = a.client_for(a.csm).get(list_url(a, stage="onboarding", page=1)).content.decode()
    assert 'hx-target="#results"' in body and 'hx-push-url="true"' in body
    export = reverse("account-export", args=[a.tenant.slug])
    assert f'href="{export}?stage=onboarding"' in body
    assert reverse("account-import", args=[a.tenant.slug]) in body
    assert "<script>" not in body and "style=" not in body  # CSP: no inline script or style


def test_viewer_sees_no_edit_import_or_export_links(world_a):
    a = world_a
    body = a.client_for(a.viewer).get(list_url(a)).content.decode()
    assert reverse("account-create", args=[a.tenant.slug]) not in body
    assert reverse("account-import", args=[a.tenant.slug]) not in body
    assert reverse("account-export", args=[a.tenant.slug]) not in body


def _add_accounts_with_contacts(world, n: int) -> None:
    with world.scope():
        for _ in range(n):
            account = AccountFactory(tenant=world.tenant, owner_csm=world.csm.user)
            ContactFactory(account=account, first_seen_at=timezone.now())
            ContactFactory(account=account)


def _count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# Session, user, membership, tenant, the page's own reads, and one query per registered account-list column
# (health, open tasks, open tickets, last ticket activity, trained admins); the htmx partial skips the frame's.
ACCOUNT_LIST_MAX_QUERIES, ACCOUNT_LIST_PARTIAL_MAX_QUERIES = 13, 11


def test_account_list_queries_do_not_grow_with_rows(world_a):
    a = world_a
    client = a.client_for(a.csm)
    url = list_url(a, sort="-arr", owner=a.csm.user.pk)
    small = _count_queries(client, url)
    small_partial = _count_queries(client, url, **{"HX-Request": "true"})
    _add_accounts_with_contacts(a, 27)  # 3 -> 30 accounts
    assert len(names(client.get(url))) == 30
    assert _count_queries(client, url) == small
    assert _count_queries(client, url, **{"HX-Request": "true"}) == small_partial
    # Pinned: every registered account-list column is one query, whatever the number of rows.
    assert small <= ACCOUNT_LIST_MAX_QUERIES and small_partial <= ACCOUNT_LIST_PARTIAL_MAX_QUERIES


def test_account_detail_queries_do_not_grow_with_contacts(world_a):
    a = world_a
    account = a.accounts[1]  # one contact
    client = a.client_for(a.csm)
    url = reverse("account-detail", args=[a.tenant.slug, account.pk])
    small = _count_queries(client, url)
    with a.scope():
        for _ in range(29):
            ContactFactory(account=account, first_seen_at=timezone.now())
    assert _count_queries(client, url) == small


# --- detail -------------------------------------------------------------------------------------


def test_detail_shows_figures_with_definitions_contacts_and_timeline(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        account.seats, account.arr = 40, Decimal("48000")
        account.renewal_date = timezone.now().astimezone(a.tenant.zone).date() + dt.timedelta(days=45)
        account.save()
        ContactFactory(account=account, name="Seen Person", first_seen_at=timezone.now() - dt.timedelta(days=3))
    response = a.client_for(a.viewer).get(reverse("account-detail", args=[a.tenant.slug, account.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    figures = response.context["figures"]
    assert figures.contacts_known == 3 and figures.days_to_renewal == 45 and figures.seats == 40
    assert "48,000" in body
    assert 'title="Contacts of this account in the platform' in body
    assert "Contacts known: Contacts of this account in the platform" in body
    for name in ("Person 0", "Person 3", "Seen Person"):
        assert name in body
    assert "Person 1" not in body  # a contact of another account
    assert 'id="timeline"' in body and "Contact first seen" in body and "Account created" in body


def test_timeline_selector_lists_events_newest_first(world_a):
    a = world_a
    account = a.accounts[0]
    with a.scope():
        ContactFactory(account=account, name="Early", first_seen_at=timezone.now() - dt.timedelta(days=400))
        events = account_timeline(tenant=a.tenant, account=account).events
    kinds = [e.kind for e in events]
    assert "account.created" in kinds and "contact.first_seen" in kinds
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert events[-1].detail == "Early"


def test_detail_of_unknown_account_is_404(world_a):
    a = world_a
    assert a.client_for(a.csm).get(reverse("account-detail", args=[a.tenant.slug, 999999])).status_code == 404


# --- create / edit ------------------------------------------------------------------------------


def _form_data(**overrides) -> dict:
    data = {"external_id": "new-1", "name": "Initech", "domain": "initech.example", "plan": "pro", "tier": " Premium ",
            "arr": "1000.50", "seats": "10", "contract_start": "2026-01-01", "renewal_date": "2027-01-01",
            "lifecycle_stage": "adoption", "owner_csm": ""}
    data.update(overrides)
    return data


def test_create_account(world_a):
    a = world_a
    url = reverse("account-create", args=[a.tenant.slug])
    response = a.client_for(a.csm).post(url, _form_data(owner_csm=a.csm.user.pk))
    assert response.status_code == 302
    with a.scope():
        account = CustomerAccount.objects.get(external_id="new-1")
    assert response["Location"] == reverse("account-detail", args=[a.tenant.slug, account.pk])
    assert account.tenant_id == a.tenant.pk and account.tier == "premium" and account.owner_csm == a.csm.user


def test_create_validation_errors_are_form_errors(worlds):
    a, b = worlds
    client = a.client_for(a.csm)
    url = reverse("account-create", args=[a.tenant.slug])
    with a.scope():
        before = CustomerAccount.objects.count()
    # acc-1 exists in this tenant; renewal before start; negative ARR.
    response = client.post(url, _form_data(external_id="acc-1", renewal_date="2025-01-01", arr="-5"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "already has this external id" in errors["external_id"][0]
    assert "renewal date must not be before" in errors["renewal_date"][0]
    assert "arr" in errors
    # The owner CSM must be a staff member of *this* tenant.
    response = client.post(url, _form_data(owner_csm=b.csm.user.pk))
    assert "owner_csm" in response.context["form"].errors
    # A viewer of this tenant cannot own accounts either.
    response = client.post(url, _form_data(owner_csm=a.viewer.user.pk))
    assert "owner_csm" in response.context["form"].errors
    # Past the int4 column and numeric(14, 2): field errors, not a DataError.
    response = client.post(url, _form_data(external_id="big", seats="2147483648", arr="1000000000000"))
    assert response.status_code == 200
    assert {"seats", "arr"} <= set(response.context["form"].errors)
    with a.scope():
        assert CustomerAccount.objects.count() == before


def test_external_id_of_another_tenant_may_be_reused(worlds):
    a, b = worlds
    with b.scope():
        AccountFactory(tenant=b.tenant, external_id="shared-id")
    response = a.client_for(a.csm).post(reverse("account-create", args=[a.tenant.slug]),
                                        _form_data(external_id="shared-id"))
    assert response.status_code == 302


def test_edit_account(world_a):
    a = world_a
    account = a.accounts[0]
    url = reverse("account-edit", args=[a.tenant.slug, account.pk])
    client = a.client_for(a.admin)
    page = client.get(url)
    assert page.status_code == 200 and 'value="Acme 0"' in page.content.decode()
    # Keeping its own external id is not a conflict.
    response = client.post(url, _form_data(external_id="acc-0", name="Acme Zero"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Acme Zero" and account.external_id == "acc-0"


@pytest.mark.parametrize("name", ["account-create", "account-edit", "account-import"])
def test_viewer_gets_403_on_edit_pages(world_a, name):
    a = world_a
    args = [a.tenant.slug] + ([a.accounts[0].pk] if name == "account-edit" else [])
    client = a.client_for(a.viewer)
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), _form_data()).status_code == 403
    a.accounts[0].refresh_from_db()
    assert a.accounts[0].name == "Acme 0"


# --- "mine" (owner = me) and the registered column slot -------------------------------------------


def test_a_csm_lands_on_their_own_accounts_and_can_see_all(world_a):
    a = world_a
    with a.scope():
        other = MembershipFactory(tenant=a.tenant, user=UserFactory(username="csm2@alpha.test"), role="csm")
        AccountFactory(tenant=a.tenant, name="Theirs", owner_csm=other.user)
        AccountFactory(tenant=a.tenant, name="Nobody's")
    client = a.client_for(a.csm)
    landing = client.get(list_url(a))
    assert names(landing) == ["Acme 0", "Acme 1", "Acme 2"]
    body = landing.content.decode()
    assert "owned by you" in body and 'id="show-all"' in body and "show=all" in body
    assert names(client.get(list_url(a, show="all"))) == ["Acme 0", "Acme 1", "Acme 2", "Nobody's", "Theirs"]
    # Filters typed on the landing page keep "mine"; the CSV export exports what the page shows.
    assert names(client.get(list_url(a, show="mine", q="acme 1"))) == ["Acme 1"]
    export = client.get(reverse("account-export", args=[a.tenant.slug])).content.decode()
    assert "Acme 0" in export and "Theirs" not in export


def test_others_land_on_all_accounts_and_can_narrow_to_theirs(world_a):
    a = world_a
    with a.scope():
        AccountFactory(tenant=a.tenant, name="Admin's own", owner_csm=a.admin.user)
    client = a.client_for(a.admin)
    landing = client.get(list_url(a))
    assert names(landing) == ["Acme 0", "Acme 1", "Acme 2", "Admin's own"]
    assert 'id="show-mine"' in landing.content.decode()
    assert names(client.get(list_url(a, show="mine"))) == ["Admin's own"]


def test_a_bad_show_value_is_a_form_error_naming_the_field(world_a):
    a = world_a
    response = a.client_for(a.csm).get(list_url(a, show="everything"))
    assert response.status_code == 200
    assert "show" in response.context["form"].errors
    assert names(response) == ["Acme 0", "Acme 1", "Acme 2"]  # ignored: the role's default applies


def test_a_column_registered_for_the_account_list_appears_with_its_definition(world_a, monkeypatch):
    """The slot the health issue fills: nothing until registered, then a column for every row."""
    from accounts.workspace import registry

    a = world_a
    client = a.client_for(a.admin)
    assert "Health band" not in client.get(list_url(a)).content.decode()
    monkeypatch.setattr(registry, "_COLUMNS", dict(registry._COLUMNS))
    registry.register_account_column(registry.AccountColumn(
        key="test-band", label="Health band", definition="Band of the latest score (test).",
        load=lambda *, tenant, account_ids, now: {pk: f"band-{pk}" for pk in account_ids},
        places=frozenset({registry.ACCOUNT_LIST})))
    body = client.get(list_url(a)).content.decode()
    assert "Health band" in body and "Band of the latest score (test)." in body
    for account in a.accounts:
        assert f"band-{account.pk}" in body
