"""The account health page in a real browser: a CSM sets an override (htmx swaps the overview without a
reload), sees the override beside the computed score and in the history, and a bad input shows its error on
the field. No console error or CSP violation on the way (the browser_page fixture fails on any)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import tenant_today
from accounts.tenancy import tenant_scope
from health.scores.models import HealthScore
from health.scores.services import ensure_default_scorecard
from tests.factories import AccountFactory, MembershipFactory, TenantFactory, UserFactory

PASSWORD = "e2e-password-health"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account(transactional_db):
    tenant = TenantFactory(slug="e2e-health", name="E2E Health", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="csm@health.test", email="csm@health.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
        found = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-alpha", owner_csm=user)
        version = ensure_default_scorecard(tenant=tenant).current_version
        HealthScore.objects.create(
            tenant=tenant, account=found, day=tenant_today(tenant), version=version, score=72.5, band="green",
            confidence=0.9, computed_at=timezone.now(),
            components=[{"key": "nps", "input": 9.0, "points": 72.5, "weight": 10.0, "effective_weight": 1.0}])
    return found


def test_setting_an_override_shows_both_scores(account, browser_page, live_server):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "csm@health.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/t/e2e-health/$"))
    page.goto(f"{live_server.url}/t/e2e-health/accounts/{account.pk}/health/")
    expect(page.locator("#computed-score")).to_have_text("72.5")
    page.fill("#id_reason", "Champion left")
    page.console.expect(r"status of 400 \(Bad Request\)")  # the refusal this test provokes, nothing else
    page.click("#override-form button[type=submit]")  # neither a score nor a band: the server refuses (400)
    expect(page.locator(".field.has-error")).to_contain_text("give a score, a band, or both")
    expect(page.locator("#id_reason")).to_have_value("Champion left")  # what was typed is kept
    page.fill("#id_score", "30")
    page.click("#override-form button[type=submit]")
    expect(page.locator("#override-score")).to_have_text("30.0")
    expect(page.locator("#id_band option")).to_have_text(["— the band of the score —", "red", "yellow", "green"])
    expect(page.locator("#computed-score")).to_have_text("72.5")  # the computed score stays beside it
    expect(page.locator("#override-history tbody tr")).to_have_count(1)
    expect(page.locator("#override-history")).to_contain_text("Champion left")
    assert page.url.endswith(f"/accounts/{account.pk}/health/")  # swapped in place, no navigation
