"""The top bar (accounts.navigation): per role, exactly the links whose permission the role has, each page
answering 200 for it; no link looser than its page; every staff page without an object id reachable."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve, reverse

from accounts.models import Role
from accounts.navigation import HOME, NAV, REACHED_FROM
from accounts.permissions import PERMISSIONS, role_allows
from tests.factories import MembershipFactory, UserFactory
from tests.urlwalk import tenant_page_routes

pytestmark = pytest.mark.django_db

ROLES = (Role.ADMIN, Role.MANAGER, Role.CSM, Role.AGENT, Role.VIEWER)
LINKS = [HOME, *(link for group in NAV for link in group.links)]
NAV_BLOCK = re.compile(r'<nav class="topnav".*?</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def members(world_a) -> dict:
    a = world_a
    with a.scope():
        extra = {role: MembershipFactory(tenant=a.tenant, user=UserFactory(username=f"{role}@nav.test"), role=role)
                 for role in (Role.MANAGER, Role.AGENT)}
    return {Role.ADMIN: a.admin, Role.CSM: a.csm, Role.VIEWER: a.viewer, **extra}


def nav_hrefs(html: str) -> list[str]:
    block = NAV_BLOCK.search(html)
    assert block, "no top bar on the page"
    return HREF.findall(block.group(0))


@pytest.mark.parametrize("role", ROLES)
def test_the_bar_links_exactly_the_pages_the_role_may_use_and_each_answers_200(world_a, members, role):
    a = world_a
    client = a.client_for(members[role])
    slug = a.tenant.slug
    html = client.get(reverse("tenant-home", args=[slug])).content.decode()
    assert "{#" not in html and "{%" not in html, "template syntax leaked into the page"
    hrefs = nav_hrefs(html)
    expected = [reverse(link.url_name, args=[slug]) for link in LINKS if role_allows(role, link.permission)]
    assert hrefs == expected
    for link in LINKS:
        if not role_allows(role, link.permission):
            assert reverse(link.url_name, args=[slug]) not in hrefs, link
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, (role, href, response.status_code)
        # Every page keeps the bar, with the same links (the bar does not depend on the page).
        assert nav_hrefs(response.content.decode()) == expected, href


def test_a_link_is_never_looser_than_its_page():
    for link in LINKS:
        view = resolve(reverse(link.url_name, args=["x"])).func
        needed = getattr(view, "required_permission", None)
        assert needed, f"{link.url_name}: the page declares no permission"
        assert PERMISSIONS[link.permission] <= PERMISSIONS[needed], (link, needed)


def test_every_staff_page_without_an_object_id_is_in_the_bar_or_reached_from_it():
    in_bar = {link.url_name for link in LINKS}
    pages = {r.name for r in tenant_page_routes() if not r.object_kwargs}
    missing = pages - in_bar - set(REACHED_FROM)
    assert not missing, f"add these to accounts.navigation.NAV or REACHED_FROM: {sorted(missing)}"
    assert not (set(REACHED_FROM) - pages), "REACHED_FROM names a page that does not exist"
    assert set(REACHED_FROM.values()) <= in_bar


def test_each_page_reached_from_the_bar_is_linked_from_that_page(world_a):
    a = world_a
    client = a.client_for(a.admin)  # admins may use every page
    slug = a.tenant.slug
    for page, origin in REACHED_FROM.items():
        html = client.get(reverse(origin, args=[slug])).content.decode()
        assert reverse(page, args=[slug]) in html, f"{origin} has no link or form to {page}"


def test_menus_without_links_are_left_out(world_a):
    a = world_a
    html = a.client_for(a.viewer).get(reverse("tenant-home", args=[a.tenant.slug])).content.decode()
    block = NAV_BLOCK.search(html).group(0)
    assert "<summary>Customers</summary>" in block and "<summary>Support</summary>" in block
    assert "<summary>Reports</summary>" not in block
    # Settings holds one link a viewer may follow: the scorecards (read-only), which explain every health score.
    settings = block[block.index("<summary>Settings</summary>"):].split("</details>")[0]
    assert settings.count("<li>") == 1 and reverse("scorecard-list", args=[a.tenant.slug]) in settings


def test_the_learner_portal_and_certificates_are_not_staff_pages(world_a):
    """The learner portal (learning.portal) is for contacts, like the public survey page: outside /t/<tenant>/,
    so no staff bar links it or is shown on it, and a staff login does not open it."""
    from tests.urlwalk import all_routes

    portal = [r for r in all_routes() if r.route.startswith(("learn/", "certificates/"))]
    assert {r.name for r in portal} >= {"learner-home", "learner-step", "certificate-verify"}
    assert not set(portal) & set(tenant_page_routes())
    assert not {link.url_name for link in LINKS} & {r.name for r in portal}
    page = world_a.client_for(world_a.admin).get(reverse("learner-home"))
    assert page.status_code == 403 and not NAV_BLOCK.search(page.content.decode())
