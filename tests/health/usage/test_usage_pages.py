"""Usage pages (account usage tab, first 90 days) and ``GET /api/v1/accounts/{id}/usage``.

Pages compute "today" themselves (the tenant's local date), so these fixtures are built relative to it;
the hand-computed selector tests with a fixed date live in test_adoption.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.selectors import tenant_today
from accounts.tenancy import tenant_scope
from health.usage.selectors import account_usage, first_days
from health.usage.selectors.adoption import USAGE_DEFINITIONS
from tests.factories import AccountFactory, ContactFactory, make_api_key
from tests.health.usage.test_adoption import STANDARD_CATALOG, catalog, usage

pytestmark = pytest.mark.django_db

USAGE_KEYS = {"seats", "active_users", "license_utilization", "breadth", "seat_funnel", "weekly"}


def usage_url(world, account, **params) -> str:
    url = reverse("account-usage", args=[world.tenant.slug, account.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def api_url(account) -> str:
    return f"/api/v1/accounts/{account.external_id}/usage"


@pytest.fixture
def live(world_a) -> dict:
    """An account with usage relative to the real local today: c1 today, c2 three days ago, c3 40 days ago."""
    tenant = world_a.tenant
    today = tenant_today(tenant)
    with tenant_scope(tenant):
        account = AccountFactory(tenant=tenant, external_id="live-1", name="Live Co", seats=4,
                                 contract_start=today - dt.timedelta(days=20))
        c = [ContactFactory(tenant=tenant, account=account, external_id=f"live-c{i}", name=f"Live {i}")
             for i in range(4)]
    catalog(tenant, STANDARD_CATALOG)
    usage(account, c[0], today, "report.run", 5)
    usage(account, c[1], today - dt.timedelta(days=3), "dashboard.view", 2)
    usage(account, c[2], today - dt.timedelta(days=40), "export.csv", 1)
    return {"account": account, "contacts": c, "today": today}


def assert_csp_safe(html: str) -> None:
    assert "style=" not in html
    assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)


# --- account usage tab ------------------------------------------------------------------------------


def test_usage_tab_shows_figures_with_definitions_and_charts(world_a, live):
    response = world_a.client_for(world_a.viewer).get(usage_url(world_a, live["account"]))
    assert response.status_code == 200
    html = response.content.decode()
    adoption = response.context["adoption"]
    assert adoption.active_users == {1: 1, 7: 2, 30: 2}
    assert adoption.license_utilization == pytest.approx(0.5)
    figures = {f.key: f.value for f in response.context["figures"]}
    assert figures["active_30d"] == "2" and figures["license_utilization"] == "50%"
    assert figures["breadth"] == "67%"  # Reporting and Dashboards of 3 features
    # Every figure carries its definition as a tooltip and as a footnote.
    for key in ("active_1d", "license_utilization", "breadth", "depth", "time_to_value", "milestones"):
        assert f'title="{escape(USAGE_DEFINITIONS[key])}"' in html
        assert escape(USAGE_DEFINITIONS[key]) in html.split('class="footnotes', 1)[1]
    assert escape(USAGE_DEFINITIONS["seat_funnel"]) in html
    assert html.count("<svg") == 3  # weekly vs seats, feature breadth, funnel
    assert "Seats: 4" in html
    assert "Live 0" in html and "Live 3" in html
    assert_csp_safe(html)


def test_usage_tab_window_parameter_and_bad_value(world_a, live):
    client = world_a.client_for(world_a.viewer)
    response = client.get(usage_url(world_a, live["account"], window=7))
    assert response.context["adoption"].window_days == 7
    response = client.get(usage_url(world_a, live["account"], window="abc"))
    assert response.status_code == 200
    assert response.context["adoption"].window_days == 30
    assert "Showing 30 days" in response.content.decode()


def test_usage_tab_htmx_partials(world_a, live):
    client = world_a.client_for(world_a.viewer)
    whole = client.get(usage_url(world_a, live["account"], window=7), headers={"HX-Request": "true",
                                                                               "HX-Target": "usage"})
    html = whole.content.decode()
    assert html.lstrip().startswith('<div id="usage">') and "<html" not in html
    contacts = client.get(usage_url(world_a, live["account"], page=1), headers={"HX-Request": "true",
                                                                               "HX-Target": "contacts"})
    html = contacts.content.decode()
    assert html.lstrip().startswith('<div id="contacts">') and "<svg" not in html


def test_usage_tab_of_another_tenants_account_is_404(worlds):
    a, b = worlds
    assert a.client_for(a.admin).get(usage_url(a, b.accounts[0])).status_code == 404


def test_account_page_links_to_usage(world_a, live):
    html = world_a.client_for(world_a.viewer).get(
        reverse("account-detail", args=[world_a.tenant.slug, live["account"].pk])).content.decode()
    assert usage_url(world_a, live["account"]) in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_usage_tab_query_count_does_not_grow_with_contacts(world_a, live):
    client = world_a.client_for(world_a.viewer)
    account, today = live["account"], live["today"]

    def add_contacts(n: int) -> None:
        with tenant_scope(world_a.tenant):
            for _ in range(n):
                contact = ContactFactory(tenant=world_a.tenant, account=account)
                usage(account, contact, today, "report.run", 1)
                usage(account, contact, today, "dashboard.view", 1)

    add_contacts(3)
    few = _queries(client, usage_url(world_a, account))
    add_contacts(27)
    many = _queries(client, usage_url(world_a, account))
    assert few == many
    assert many <= 12


# --- API --------------------------------------------------------------------------------------------------


def test_usage_api_shape(world_a, live):
    response = world_a.api().get(api_url(live["account"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= USAGE_KEYS
    assert body["seats"] == 4
    assert body["active_users"] == {"1d": 1, "7d": 2, "30d": 2}
    assert body["license_utilization"] == 0.5
    assert body["breadth"] == pytest.approx(2 / 3)
    assert body["seat_funnel"] == {"seats": 4, "contacts_known": 4, "activated": 3, "trained": 0, "active": 2}
    assert len(body["weekly"]) == 12
    assert set(body["weekly"][0]) == {"week", "active_users", "events"}
    this_week = live["today"] - dt.timedelta(days=live["today"].weekday())
    assert body["weekly"][-1]["week"] == this_week.isoformat()
    assert sum(w["events"] for w in body["weekly"]) == 5 + 2 + 1
    assert body["as_of"] == live["today"].isoformat()
    assert body["depth"] == pytest.approx(7 / 2)
    assert body["milestones"] == {"reached": 1, "total": 2}
    assert body["time_to_value_days"] is None


def test_usage_api_nulls_on_empty_sets(world_a):
    with tenant_scope(world_a.tenant):
        account = AccountFactory(tenant=world_a.tenant, external_id="empty-usage", seats=None)
    body = world_a.api().get(api_url(account)).json()
    assert body["license_utilization"] is None and body["breadth"] is None and body["depth"] is None
    assert body["active_users"] == {"1d": 0, "7d": 0, "30d": 0}


def test_usage_api_window_and_errors(worlds, live):
    a, b = worlds
    assert a.api().get(api_url(live["account"]) + "?window=7").json()["window_days"] == 7
    bad = a.api().get(api_url(live["account"]) + "?window=0")
    assert bad.status_code == 400
    assert bad.json() == {"errors": [{"field": "window", "message": "a whole number of days from 1 to 366"}]}
    for value in ("\u00b2", "9" * 5000, "367", "2147483648"):  # "²" and 5,000 digits were 500s
        response = a.api().get(api_url(live["account"]), {"window": value})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "window", value
    assert b.api().get(api_url(live["account"])).status_code == 404  # B's key, A's account
    assert a.api().get("/api/v1/accounts/no-such/usage").status_code == 404
    _, ingest_only = make_api_key(a.tenant, scopes=("ingest",), raw="csk_ingest_only_alpha")
    assert a.api(ingest_only).get(api_url(live["account"])).status_code == 403


def test_page_and_api_show_the_same_figures(world_a, live):
    for window in (7, 30, 90):
        page = world_a.client_for(world_a.viewer).get(usage_url(world_a, live["account"], window=window))
        api = world_a.api().get(api_url(live["account"]) + f"?window={window}").json()
        assert account_usage.usage_payload(adoption=page.context["adoption"], weekly=page.context["weekly"]) == api


# --- first 90 days -----------------------------------------------------------------------------------------

TODAY = dt.date(2025, 3, 12)


def _ninety_day_world(world, today: dt.date) -> dict[str, object]:
    """Accounts around the 90-day edges; expected order (see USAGE_DEFINITIONS["risk"]):
    U (pace 0, 30 days left), X (pace 0, 90 left), Y (pace 0.5), T (pace 1.40625), V (no seats)."""
    tenant = world.tenant
    starts = {"X": (0, 10), "Y": (89, 10), "Z": (90, 10), "W": (-1, 10), "V": (30, None), "U": (60, 10), "T": (15, 4)}
    with tenant_scope(tenant):
        accounts = {name: AccountFactory(tenant=tenant, external_id=f"n90-{name}", name=f"Ninety {name}",
                                         seats=seats, contract_start=today - dt.timedelta(days=ago))
                    for name, (ago, seats) in starts.items()}
        for name, active in (("Y", 5), ("T", 1), ("V", 2)):
            for _ in range(active):
                contact = ContactFactory(tenant=tenant, account=accounts[name])
                usage(accounts[name], contact, today - dt.timedelta(days=2), "report.run", 1)
    return accounts


def test_first_90_days_listing_and_risk_order(world_a):
    accounts = _ninety_day_world(world_a, TODAY)
    with tenant_scope(world_a.tenant):
        rows = first_days.first_90_days(tenant=world_a.tenant, today=TODAY)
    assert [r.account.name for r in rows] == ["Ninety U", "Ninety X", "Ninety Y", "Ninety T", "Ninety V"]
    by_name = {r.account.name: r.adoption for r in rows}
    assert by_name["Ninety X"].days_left == 90 and by_name["Ninety Y"].days_left == 1
    assert by_name["Ninety U"].days_left == 30
    assert by_name["Ninety Y"].pace == pytest.approx(0.5)
    assert by_name["Ninety T"].pace == pytest.approx(0.25 / (16 / 90))
    assert by_name["Ninety V"].pace is None
    assert by_name["Ninety Y"].funnel.as_dict() == {"seats": 10, "contacts_known": 5, "activated": 5, "trained": 0,
                                                    "active": 5}
    assert accounts["Z"].pk not in {r.account.pk for r in rows}


def test_a_churned_account_comes_after_every_account_still_at_risk(world_a):
    _ninety_day_world(world_a, TODAY)
    with tenant_scope(world_a.tenant):
        # no usage at all and the fewest days left: it would top the list on pace alone
        AccountFactory(tenant=world_a.tenant, external_id="n90-C", name="Ninety C", seats=10,
                       lifecycle_stage="churned", contract_start=TODAY - dt.timedelta(days=80))
        rows = first_days.first_90_days(tenant=world_a.tenant, today=TODAY)
    assert [r.account.name for r in rows] == ["Ninety U", "Ninety X", "Ninety Y", "Ninety T", "Ninety V", "Ninety C"]
    assert rows[-1].adoption.pace == 0


def test_first_90_days_page_shows_the_rule_and_the_order(worlds):
    a, b = worlds
    today = tenant_today(a.tenant)
    _ninety_day_world(a, today)
    _ninety_day_world(b, today)  # look-alike accounts in B
    response = a.client_for(a.viewer).get(reverse("first-90-days", args=[a.tenant.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(USAGE_DEFINITIONS["risk"]) in html
    assert re.findall(r'data-account="(n90-\w)"', html) == ["n90-U", "n90-X", "n90-Y", "n90-T", "n90-V"]
    assert all(r.account.tenant_id == a.tenant.pk for r in response.context["rows"])
    assert_csp_safe(html)


def test_first_90_days_query_count_does_not_grow_with_accounts(world_a):
    client = world_a.client_for(world_a.viewer)
    today = tenant_today(world_a.tenant)
    url = reverse("first-90-days", args=[world_a.tenant.slug])

    def add_accounts(n: int) -> None:
        with tenant_scope(world_a.tenant):
            for i in range(n):
                account = AccountFactory(tenant=world_a.tenant, contract_start=today - dt.timedelta(days=i), seats=5)
                contact = ContactFactory(tenant=world_a.tenant, account=account)
                usage(account, contact, today, "report.run", 1)

    add_accounts(3)
    few = _queries(client, url)
    add_accounts(27)
    many = _queries(client, url)
    assert few == many
    assert len(client.get(url).context["rows"]) == 30


def test_usage_api_is_documented_as_answered(world_a, live):
    from django.test import Client

    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    body = world_a.api().get(api_url(live["account"])).json()
    assert set(components["AccountUsage"]["properties"]) == set(body)
    assert set(components["ActiveUsers"]["properties"]) == {"1d", "7d", "30d"}
    assert "/api/v1/accounts/{account_external_id}/usage" in schema["paths"]
