"""The learning report pages in a real browser: the path report's funnel chart and tables draw with no CSP
violation or console error, and picking another period swaps the results by htmx (URL pushed)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import tenant_scope
from learning.models import Enrollment, EnrollmentStatus, StepProgress
from tests.e2e.test_csp_pages import console_errors, watch_violations
from tests.factories import AccountFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tests.learning.helpers import published_path

PASSWORD = "e2e-password-learning"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def learning(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-learning", name="E2E Learning", timezone="Europe/Paris")
    with tenant_scope(tenant):
        user = UserFactory(username="csm@e2e-learning.test", email="csm@e2e-learning.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.CSM)
        account = AccountFactory(tenant=tenant, name="Alpha Corp", external_id="e2e-learning-alpha", seats=10)
        path = published_path(tenant, "Workspace basics")
        step = path.current_version.steps.get()
        now = timezone.now()
        for i in range(3):
            contact = ContactFactory(account=account, external_id=f"learner-{i}", persona="admin")
            done = i < 2
            e = Enrollment.objects.create(tenant=tenant, contact=contact, path=path, version=path.current_version,
                                          status=EnrollmentStatus.COMPLETED if done else EnrollmentStatus.ENROLLED,
                                          enrolled_at=now, completed_at=now if done else None)
            if done:
                StepProgress.objects.create(tenant=tenant, enrollment=e, step=step, done_at=now)
    return {"tenant": tenant, "path": path}


def test_the_path_report_draws_and_filters_with_no_csp_violation(live_server, learning, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    watch_violations(page)
    errors = console_errors(page)
    url = f"/t/e2e-learning/learning/reports/paths/{learning['path'].pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={url}")
    page.fill("#id_username", "csm@e2e-learning.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/learning/reports/paths/\d+/$"))
    expect(page.locator('[data-figure="completion_rate"] .value')).to_have_text("66.7%")
    expect(page.locator("svg.chart rect.bar")).to_have_count(4)  # enrolled, started, completed, the one step
    page.select_option("#id_period", "last_month")
    page.wait_for_url(re.compile(r"period=last_month"))
    expect(page.locator('[data-figure="enrolled"] .value')).to_have_text("0")
    page.wait_for_timeout(300)  # htmx settles 20 ms after the swap
    assert page.evaluate("window.__csp") == []
    assert errors == []
    page.goto("about:blank")
