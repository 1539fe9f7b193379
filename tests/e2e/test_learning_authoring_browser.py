"""The authoring pages in a real browser (issue 13): a manager reorders the draft's steps with the htmx
Up/Down buttons (the list is swapped in place, the order saved), and the learner preview shows the lesson
with its uploaded image loaded from the public image URL; no CSP violation and no console error on the way
(the CSP allows no inline script or style, and images from this site only)."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role
from accounts.tenancy import tenant_scope
from learning.models import Step
from learning.paths.images import markdown_snippet
from learning.paths.services import PathData, StepData, add_lesson_image, save_path, save_steps
from tests.e2e.test_csp_pages import console_errors, watch_violations
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.surveys.images import png

PASSWORD = "e2e-password-learning"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authoring(transactional_db) -> dict:
    tenant = TenantFactory(slug="e2e-learn", name="E2E Learning")
    with tenant_scope(tenant):
        user = UserFactory(username="author@e2e.test", email="author@e2e.test", password=PASSWORD)
        MembershipFactory(tenant=tenant, user=user, role=Role.MANAGER)
        path = save_path(tenant=tenant, path=None, data=PathData(name="Admin onboarding"))
        image = add_lesson_image(tenant=tenant, path=path, data=png(40, 20), by=None)
        save_steps(tenant=tenant, path=path, steps=[
            StepData(kind="lesson", title="Welcome",
                     body_markdown="Hello\n\n" + markdown_snippet(tenant=tenant, image=image, alt="the home page")),
            StepData(kind="product_task", title="Create a pipeline", event_name="pipeline.created")])
    return {"tenant": tenant, "path": path}


def test_a_manager_reorders_steps_with_htmx_and_previews_the_lesson_image(live_server, authoring, browser_page):
    from playwright.sync_api import expect

    page, path, tenant = browser_page, authoring["path"], authoring["tenant"]
    watch_violations(page)
    errors = console_errors(page)
    detail = f"/t/{tenant.slug}/learning/{path.pk}/"
    page.goto(f"{live_server.url}/accounts/login/?next={detail}")
    page.fill("#id_username", "author@e2e.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"{detail}$"))
    steps = page.locator("#steps li strong")
    expect(steps).to_have_text(["Welcome", "Create a pipeline"])

    page.get_by_role("button", name="Move Welcome down").click()
    expect(steps).to_have_text(["Create a pipeline", "Welcome"])
    assert page.url.endswith(detail)  # swapped in place, no navigation
    with tenant_scope(tenant):
        assert list(Step.objects.filter(version__path=path, version__number__isnull=True).order_by("position")
                    .values_list("key", flat=True)) == ["create-a-pipeline", "welcome"]

    page.get_by_role("link", name="Preview the draft as a learner").click()
    image = page.get_by_role("img", name="the home page")
    expect(image).to_be_visible()
    assert page.evaluate("document.querySelector('.lesson img').naturalWidth") == 40
    page.wait_for_timeout(300)
    assert page.evaluate("window.__csp") == []
    assert errors == []
    page.goto("about:blank")
