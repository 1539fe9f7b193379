"""DESIGN.md tenancy rule 6: every URL that takes an object id, tried from the other tenant.

Routes are discovered from the URL resolver. Each object kwarg is filled with an object that exists
only in tenant B, while the caller is a member (pages) or holds an API key (API) of tenant A. Every
method must answer 404 (405 where the method is not offered at all, which reveals nothing), at least
one method must reach the lookup and answer 404, and no row of any tenant may change.

A new kind of URL kwarg fails ``test_every_object_kwarg_is_known`` until it is added to
``tests.objectworld.OBJECT_KWARGS``, so no URL escapes this suite.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.tenancy import TenantOwnedModel, all_tenants
from tests.objectworld import OBJECT_KWARGS, one_of_each
from tests.urlwalk import Route, all_routes, api_routes, tenant_page_routes

B_ONLY = "bravo-only"  # marker in every B-only object: it must never show up in A's answers

# Routes outside tenancy: Django's admin (its own isolation tests live in tests/accounts/test_admin.py),
# the auth views, whose kwargs (uidb64, token) identify a reset link, not a tenant's object, and the project's
# documents, whose ``name`` picks one of docs/*.md (cs_platform.docs; no tenant's data).
NOT_TENANT_ROUTES = ("admin/", "accounts/reset/", "docs/")

METHODS = ("get", "post", "put", "patch", "delete")


def object_routes() -> list[Route]:
    return [
        r for r in all_routes()
        if r.object_kwargs and not r.route.startswith(NOT_TENANT_ROUTES)
    ]


@pytest.fixture
def b_objects(worlds) -> dict:
    return one_of_each(worlds[1], B_ONLY)


def public_help_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith("help/<slug:help_slug>/")]


@pytest.mark.parametrize("route", [r for r in public_help_routes() if len(r.object_kwargs) > 1],
                         ids=lambda r: r.route)
def test_public_help_center_never_serves_other_tenants_objects(route: Route, worlds, b_objects):
    """Tenant A's public help center asked for tenant B's (published) category or article: 404."""
    a, _ = worlds
    values = {k: OBJECT_KWARGS[k](b_objects) for k in route.object_kwargs} | {"help_slug": a.tenant.slug}
    url = route.fill(values)
    before = snapshot()
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 404, url
    assert B_ONLY not in response.content.decode()
    assert snapshot() == before


def public_survey_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith("s/<str:token>/")]


@pytest.mark.parametrize("route", public_survey_routes(), ids=lambda r: r.route)
def test_public_survey_link_reaches_only_its_own_tenant(route: Route, worlds, b_objects):
    """A survey link's token names one invitation, hence its tenant, before any scope: a token-shaped string
    that is no link, and B's stored hash tried as a token, are 404 by every method and change nothing; B's
    own link shows B's survey and none of A's look-alike rows, and what it writes lands in B only."""
    from django.test import Client

    from surveys.tokens import new_token

    a, b = worlds
    a_objects = one_of_each(a, "alpha-only")
    assert snapshot()["surveys.Invitation"]  # the snapshot sees the rows it compares
    for forged in (new_token()[0], b_objects["survey_invitation"].token_hash[:22]):
        url = route.fill({"token": forged})
        before = snapshot()
        _assert_refused(_try_all_methods(Client(), url), url)
        assert snapshot() == before, f"{url} changed data"
    url = route.fill({"token": b_objects["survey_token"]})
    page = Client().get(url)
    assert page.status_code == 200 and "alpha-only" not in page.content.decode()
    assert b.tenant.name in page.content.decode() and a.tenant.name not in page.content.decode()
    before = snapshot()
    posted = Client().post(url, {"score": "4", "source": "page"})
    assert posted.status_code == 200 and "alpha-only" not in posted.content.decode()
    after = snapshot()

    def of_a(state: dict) -> dict:
        return {label: [r for r in rows if r["tenant_id"] == a.tenant.pk] for label, rows in state.items()}

    assert of_a(after) == of_a(before), "a survey link of tenant B changed tenant A's rows"
    changed = {label for label in after if after[label] != before[label]}
    assert changed & {"surveys.SurveyResponse", "surveys.OptOut"}, changed  # the write landed, in B
    assert a_objects["survey_token"] != b_objects["survey_token"]


@pytest.mark.parametrize(("route_name", "object_name"), [("survey-logo-file", "survey_logo"),
                                                        ("lesson-image-file", "lesson_image")])
def test_public_image_never_serves_another_image(worlds, b_objects, route_name, object_name):
    """B's survey logo or lesson image asked for under A's slug, or under B's own slug with a wrong key or
    id: the same 404 as none."""
    from django.test import Client

    from tests.surveys.images import png

    a, b = worlds
    image = b_objects[object_name]
    right = reverse(route_name, args=[b.tenant.slug, image.pk, image.key])
    assert Client().get(right).status_code == 200  # the control: the right triple answers
    for url in (reverse(route_name, args=[a.tenant.slug, image.pk, image.key]),
                reverse(route_name, args=[b.tenant.slug, image.pk, "0" * 32]),
                reverse(route_name, args=[b.tenant.slug, image.pk, image.key[:-1]]),
                reverse(route_name, args=[b.tenant.slug, image.pk + 1000, image.key]),
                reverse(route_name, args=["no-such-tenant", image.pk, image.key])):
        response = Client().get(url)
        assert response.status_code == 404, url
        assert png(4, 4, text=B_ONLY) not in response.content


def learner_routes() -> list[Route]:
    return [r for r in all_routes() if r.route.startswith(("learn/", "certificates/")) and r.object_kwargs]


LEARNER_OBJECTS = {"enrollment_pk", "step_key"}


@pytest.mark.parametrize("route", [r for r in learner_routes() if set(r.object_kwargs) <= LEARNER_OBJECTS],
                         ids=lambda r: r.route)
def test_learner_portal_reaches_only_the_learners_own_objects(route: Route, worlds, b_objects):
    """A learner of tenant A (signed in through a magic link) names B's enrollment, or A's own enrollment with a
    step key that only B has: 404 by every method, nothing changes. The session names the tenant and the
    contact; the URL's ids are looked up through them (learning.portal.access)."""
    from tests.learning.portal_helpers import learner_client

    a, _ = worlds
    a_objects = one_of_each(a, "alpha-only")
    learner = learner_client(a, a_objects["enrollment"].contact)
    # The certificate page needs a completed enrollment: then the completed ones are tried.
    which = "completed_enrollment" if route.name == "learner-certificate" else "enrollment"
    own = {"enrollment_pk": a_objects[which].pk, "step_key": a_objects["learning_step"].key}
    assert learner.get(route.fill(own)).status_code == 200  # the control: the learner's own object answers
    b_values = {k: OBJECT_KWARGS[k](b_objects) for k in route.object_kwargs} | {"enrollment_pk": b_objects[which].pk}
    tries = [b_values] + ([own | {"step_key": b_values["step_key"]}] if "step_key" in route.object_kwargs else [])
    for values in tries:
        url = route.fill(values)
        before = snapshot()
        _assert_refused(_try_all_methods(learner, url), url)
        assert snapshot() == before, f"{url} changed data"


@pytest.mark.parametrize("route", [r for r in learner_routes() if r.object_kwargs == ["link_token"]
                                   or r.object_kwargs == ["certificate_code"]], ids=lambda r: r.route)
def test_learner_link_and_certificate_codes_name_only_their_own_tenant(route: Route, worlds, b_objects):
    """A magic link's token and a certificate's code are looked up before any scope: a well-shaped string that
    is none, or B's stored link hash tried as a token, is 404 by every method and changes nothing; B's own
    code shows B's tenant only."""
    from django.test import Client

    from surveys.tokens import new_token

    a, b = worlds
    one_of_each(a, "alpha-only")
    kwarg = route.object_kwargs[0]
    from learning.models import LearnerLink

    with b.scope():
        b_hash = LearnerLink.objects.get(contact=b_objects["enrollment"].contact).token_hash
    for forged in (new_token()[0], b_hash[:22]):
        url = route.fill({kwarg: forged})
        before = snapshot()
        _assert_refused(_try_all_methods(Client(), url), url)
        assert snapshot() == before, f"{url} changed data"
    page = Client().get(route.fill({kwarg: OBJECT_KWARGS[kwarg](b_objects)}))
    assert page.status_code == 200 and "alpha-only" not in page.content.decode()
    assert b.tenant.name in page.content.decode() and a.tenant.name not in page.content.decode()


def test_learner_sign_in_of_one_tenant_never_emails_another_tenants_contact(worlds, b_objects):
    """A's sign-in page given the email of a contact that only B has: the same answer as any address, and no
    link or email in either tenant."""
    from django.test import Client

    a, _ = worlds
    before = snapshot()
    response = Client().post(reverse("learner-sign-in", args=[a.tenant.slug]),
                             {"email": b_objects["contact"].email})
    assert response.status_code == 200 and B_ONLY not in response.content.decode()
    assert snapshot() == before


# Bookkeeping that a request may update without changing any tenant's data.
NOT_DATA = {"last_used_at"}


def snapshot() -> dict[str, list]:
    """Every row of every tenant-owned table, to prove that a refused request wrote nothing. Read with the
    database's bypass: outside any scope row-level security shows no row at all, and two empty snapshots
    would prove nothing (they did, until the survey links' test asserted that rows were seen)."""
    state = {}
    with all_tenants("the isolation suite compares every tenant's rows before and after a request"):
        for model in apps.get_models():
            if issubclass(model, TenantOwnedModel):
                columns = [f.attname for f in model._meta.concrete_fields if f.attname not in NOT_DATA]
                rows = model.objects.unscoped().order_by("pk").values(*columns)
                state[model._meta.label] = json.loads(json.dumps(list(rows), default=str))
    return state


def test_every_object_kwarg_is_known():
    unknown = {(r.route, k) for r in object_routes() for k in r.object_kwargs if k not in OBJECT_KWARGS}
    assert not unknown, f"add these URL kwargs to OBJECT_KWARGS so the isolation suite covers them: {unknown}"


def test_routes_are_discovered():
    routes = {r.name for r in object_routes()}
    # The suite is only as good as its discovery: these must be among the routes it tries.
    assert {"account-detail", "contact-detail"} <= routes


def _try_all_methods(client, url: str) -> dict[str, int]:
    statuses = {}
    for method in METHODS:
        response = getattr(client, method)(url, data="{}" if method != "get" else None,
                                           content_type="application/json")
        statuses[method] = response.status_code
        body = response.content.decode(errors="replace")
        assert B_ONLY not in body, f"{method.upper()} {url} leaked tenant B's data"
    return statuses


def _assert_refused(statuses: dict[str, int], url: str) -> None:
    assert set(statuses.values()) <= {404, 405}, f"{url}: {statuses}"
    assert 404 in statuses.values(), f"{url}: no method reached the object lookup: {statuses}"


@pytest.mark.parametrize("route", [r for r in object_routes() if r in tenant_page_routes()], ids=lambda r: r.route)
def test_page_with_other_tenants_object_is_404(route: Route, worlds, b_objects):
    a, _ = worlds
    values = {k: OBJECT_KWARGS[k](b_objects) for k in route.object_kwargs} | {"tenant_slug": a.tenant.slug}
    url = route.fill(values)
    before = snapshot()
    _assert_refused(_try_all_methods(a.client_for(a.admin), url), url)
    assert snapshot() == before, f"{url} changed data"


@pytest.mark.parametrize("route", [r for r in object_routes() if r in tenant_page_routes()], ids=lambda r: r.route)
def test_page_of_other_tenant_is_404_for_non_member(route: Route, worlds, b_objects):
    a, b = worlds
    values = {k: OBJECT_KWARGS[k](b_objects) for k in route.object_kwargs} | {"tenant_slug": b.tenant.slug}
    url = route.fill(values)
    before = snapshot()
    _assert_refused(_try_all_methods(a.client_for(a.admin), url), url)
    assert snapshot() == before


@pytest.mark.parametrize("route", [r for r in object_routes() if r in api_routes()], ids=lambda r: r.route)
def test_api_with_other_tenants_object_is_404(route: Route, worlds, b_objects):
    a, _ = worlds
    url = route.fill({k: OBJECT_KWARGS[k](b_objects) for k in route.object_kwargs})
    before = snapshot()
    _assert_refused(_try_all_methods(a.api(), url), url)
    assert snapshot() == before, f"{url} changed data"


def _list_routes(routes: list[Route]) -> list[Route]:
    return [r for r in routes if not r.object_kwargs]


@pytest.mark.parametrize("route", _list_routes(api_routes()), ids=lambda r: r.route)
def test_api_lists_never_show_other_tenants_rows(route: Route, worlds, b_objects):
    a, _ = worlds
    response = a.api().get(route.fill({}))
    if response.status_code == 405:
        pytest.skip("POST-only endpoint: no list to read")
    assert response.status_code == 200, response.content[:300]
    assert B_ONLY not in response.content.decode()


@pytest.mark.parametrize("route", _list_routes(tenant_page_routes()), ids=lambda r: r.route)
def test_pages_never_show_other_tenants_rows(route: Route, worlds, b_objects):
    a, _ = worlds
    response = a.client_for(a.admin).get(route.fill({"tenant_slug": a.tenant.slug}))
    assert response.status_code in (200, 302, 405), f"{route.route}: {response.status_code}"
    body = response.content.decode() if not response.streaming else b"".join(response.streaming_content).decode()
    assert B_ONLY not in body
