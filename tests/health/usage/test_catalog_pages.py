"""The feature catalog page: list, add, inline edit, delete, unknown event names, permissions, isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tenancy import tenant_scope
from health.usage.models import CatalogEntry
from health.usage.selectors import adoption as selectors
from tests.health.usage.test_adoption import catalog, usage

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 3, 12)


def url(world, name: str = "catalog", *args) -> str:
    return reverse(name, args=[world.tenant.slug, *args])


def entries(world) -> list[tuple]:
    with tenant_scope(world.tenant):
        return list(CatalogEntry.objects.order_by("event_name")
                    .values_list("event_name", "feature", "category", "is_value_milestone"))


@pytest.fixture
def seeded(world_a) -> list[CatalogEntry]:
    acc, contact = world_a.accounts[0], world_a.contacts[0]
    usage(acc, contact, DAY, "report.run", 4)
    usage(acc, contact, DAY, "mystery.click", 7)
    usage(world_a.accounts[1], None, DAY, "mystery.click", 1)
    usage(acc, contact, DAY, "rare.thing", 1)
    return catalog(world_a.tenant, [("report.run", "Reporting", True)])


def test_catalog_lists_entries_and_unknown_event_names(world_a, seeded):
    response = world_a.client_for(world_a.viewer).get(url(world_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert [e.event_name for e, _form in response.context["rows"]] == ["report.run"]
    unknown = [(u.event_name, u.events, u.accounts) for u in response.context["unknown"]]
    assert unknown == [("mystery.click", 8, 2), ("rare.thing", 1, 1)]  # most frequent first
    assert "mystery.click" in html and "style=" not in html


def test_viewer_sees_a_read_only_catalog_and_cannot_edit(world_a, seeded):
    client = world_a.client_for(world_a.viewer)
    html = client.get(url(world_a)).content.decode()
    assert url(world_a, "catalog-add") not in html
    assert url(world_a, "catalog-edit", seeded[0].pk) not in html
    data = {"event_name": "x", "feature": "X"}
    assert client.post(url(world_a, "catalog-add"), data).status_code == 403
    assert client.post(url(world_a, "catalog-edit", seeded[0].pk), data).status_code == 403
    assert client.get(url(world_a, "catalog-edit", seeded[0].pk)).status_code == 403
    assert client.post(url(world_a, "catalog-delete", seeded[0].pk)).status_code == 403
    assert client.post(url(world_a, "catalog-add"), data, headers={"HX-Request": "true"}).status_code == 403
    assert entries(world_a) == [("report.run", "Reporting", "", True)]


def test_csm_cannot_edit_but_admin_can(world_a, seeded):
    assert world_a.client_for(world_a.csm).post(url(world_a, "catalog-add"),
                                                {"event_name": "a", "feature": "A"}).status_code == 403
    response = world_a.client_for(world_a.admin).post(url(world_a, "catalog-add"),
                                                      {"event_name": " a.b ", "feature": " A ", "category": "core"})
    assert response.status_code == 302
    assert ("a.b", "A", "core", False) in entries(world_a)


def test_add_an_unknown_event_with_one_click(world_a, seeded):
    client = world_a.client_for(world_a.admin)
    html = client.get(url(world_a)).content.decode()
    assert 'name="event_name" value="mystery.click"' in html and 'name="feature" value="mystery.click"' in html
    # The one-click form posts the event name and the prefilled feature, as htmx would.
    response = client.post(url(world_a, "catalog-add"), {"event_name": "mystery.click", "feature": "mystery.click"},
                           headers={"HX-Request": "true", "HX-Target": "catalog"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="catalog">') and "<html" not in html
    assert "added to the catalog" in html
    assert [u.event_name for u in response.context["unknown"]] == ["rare.thing"]
    assert ("mystery.click", "mystery.click", "", False) in entries(world_a)


def test_add_rejects_a_duplicate_and_blank_fields(world_a, seeded):
    client = world_a.client_for(world_a.admin)
    response = client.post(url(world_a, "catalog-add"), {"event_name": "report.run", "feature": "Other"})
    assert response.status_code == 200
    assert "already in the catalog" in response.content.decode()
    response = client.post(url(world_a, "catalog-add"), {"event_name": "new.one", "feature": "  "})
    assert "Enter the feature" in response.content.decode()
    assert entries(world_a) == [("report.run", "Reporting", "", True)]


def test_inline_edit_and_delete(world_a, seeded):
    client = world_a.client_for(world_a.admin)
    entry = seeded[0]
    assert client.get(url(world_a, "catalog-edit", entry.pk)).status_code == 200
    response = client.post(url(world_a, "catalog-edit", entry.pk),
                           {"event_name": "report.run", "feature": "Reports", "category": "analytics"},
                           headers={"HX-Request": "true", "HX-Target": "catalog"})
    assert response.status_code == 200 and "saved" in response.content.decode()
    assert entries(world_a) == [("report.run", "Reports", "analytics", False)]
    # An invalid inline edit comes back in place with its error, nothing saved.
    catalog(world_a.tenant, [("export.csv", "Reports", False)])
    response = client.post(url(world_a, "catalog-edit", entry.pk), {"event_name": "export.csv", "feature": "R"},
                           headers={"HX-Request": "true", "HX-Target": "catalog"})
    assert "already in the catalog" in response.content.decode()
    assert ("report.run", "Reports", "analytics", False) in entries(world_a)
    # Without htmx: the classic redirect.
    response = client.post(url(world_a, "catalog-delete", entry.pk))
    assert response.status_code == 302
    assert entries(world_a) == [("export.csv", "Reports", "", False)]


def test_edit_changes_the_metrics(world_a, seeded):
    """Classifying an unknown event immediately counts it for breadth."""
    acc = world_a.accounts[0]
    with tenant_scope(world_a.tenant):
        before = selectors.account_adoption(account=acc, today=DAY)
    assert (before.features_used, before.features_in_catalog) == (1, 1)
    world_a.client_for(world_a.admin).post(url(world_a, "catalog-add"), {"event_name": "mystery.click",
                                                                         "feature": "Mystery"})
    with tenant_scope(world_a.tenant):
        after = selectors.account_adoption(account=acc, today=DAY)
    assert (after.features_used, after.features_in_catalog) == (2, 2)


def test_other_tenants_catalog_is_invisible_and_untouchable(worlds, seeded):
    a, b = worlds
    b_entries = catalog(b.tenant, [("report.run", "Bravo reporting", False), ("bravo.only", "Bravo", False)])
    usage(b.accounts[0], None, DAY, "bravo.unknown", 3)
    client = a.client_for(a.admin)
    html = client.get(url(a)).content.decode()
    assert "Bravo" not in html and "bravo" not in html.replace("Bravo Billing", "")
    for entry in b_entries:
        assert client.post(url(a, "catalog-edit", entry.pk), {"event_name": "x", "feature": "y"}).status_code == 404
        assert client.post(url(a, "catalog-delete", entry.pk)).status_code == 404
    # The same event name may exist in both tenants: A can add what B has.
    assert client.post(url(a, "catalog-add"), {"event_name": "bravo.only", "feature": "Alpha"}).status_code == 302
    assert entries(b) == [("bravo.only", "Bravo", "", False), ("report.run", "Bravo reporting", "", False)]


def test_catalog_page_query_count_does_not_grow(world_a):
    client = world_a.client_for(world_a.admin)

    def add(start: int, n: int) -> None:
        catalog(world_a.tenant, [(f"event.{i}", f"Feature {i % 7}", i % 5 == 0) for i in range(start, start + n)])
        for i in range(start, start + n):
            usage(world_a.accounts[i % 3], None, DAY, f"unknown.{i}", i + 1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(world_a)).status_code == 200
        return len(ctx.captured_queries)

    add(0, 3)
    few = queries()
    add(3, 27)
    assert queries() == few
    assert len(client.get(url(world_a)).context["rows"]) == 30
