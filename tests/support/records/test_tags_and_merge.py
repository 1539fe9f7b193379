"""Ticket tags (API and desk page) and ticket merges (service, API, desk page)."""

from __future__ import annotations

import pytest

from support.models import Interaction, Ticket, TicketStatusChange
from support.records.data import InputError, TicketData
from support.records.models import MAX_TAG, MAX_TAGS
from support.records.services.tickets import RecordError, merge_tickets
from tests.factories import ContactFactory
from tests.support.desk_helpers import make_ticket

HX = {"HX-Request": "true"}


def test_api_tags_are_trimmed_lower_cased_deduplicated_and_shown(world_a):
    body = {"external_id": "T-1", "contact": "user-0", "channel": "email", "tags": [" Billing", "VIP", "billing", ""]}
    response = world_a.api().post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["billing", "vip"]
    response = world_a.api().post("/api/v1/tickets", {"external_id": "T-1", "subject": "x"},
                                  content_type="application/json")
    assert response.json()["tags"] == ["billing", "vip"]  # not given: kept
    with world_a.scope():
        assert Ticket.objects.get().tags == ["billing", "vip"]


@pytest.mark.parametrize("tags", [
    ["x" * (MAX_TAG + 1)], [f"t{i}" for i in range(MAX_TAGS + 1)], "billing", [1, {"a": 2}], ["bad\x00tag"],
])
def test_api_bad_tags_are_a_400_naming_the_field_and_write_nothing(world_a, tags):
    body = {"external_id": "T-1", "contact": "user-0", "channel": "email", "tags": tags}
    response = world_a.api().post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert all(e["field"].startswith("tags") for e in response.json()["errors"]), response.json()
    with world_a.scope():
        assert not Ticket.objects.exists()


def test_tag_rules_hold_for_every_door():
    with pytest.raises(InputError) as caught:
        TicketData(external_id="T", tags=["x" * (MAX_TAG + 1)])
    assert caught.value.field == "tags"
    assert TicketData(external_id="T", tags=["  A ", "a"]).tags == ["a"]


def test_desk_edits_tags_and_refuses_bad_ones_with_a_400(world_a):
    with world_a.scope():
        t = make_ticket(world_a.tenant, "T-1")
    url = f"/t/{world_a.tenant.slug}/support/tickets/{t.pk}/tags/"
    client = world_a.client_for()
    response = client.post(url, {"tags": "Refund, vip"}, headers=HX)
    assert response.status_code == 200 and "refund" in response.content.decode()
    response = client.post(url, {"tags": ",".join(f"t{i}" for i in range(MAX_TAGS + 1))}, headers=HX)
    assert response.status_code == 400 and f"tags: at most {MAX_TAGS} tags" in response.content.decode()
    with world_a.scope():
        t.refresh_from_db()
        assert t.tags == ["refund", "vip"]
    page = client.get(f"/t/{world_a.tenant.slug}/support/tickets/{t.pk}/").content.decode()
    assert 'class="badge tag">refund' in page
    inbox = client.get(f"/t/{world_a.tenant.slug}/support/inbox/").content.decode()
    assert 'class="badge tag">vip' in inbox
    assert world_a.client_for(world_a.viewer).post(url, {"tags": "x"}).status_code == 403


def test_merge_closes_the_source_and_notes_both(world_a):
    with world_a.scope():
        source, into = make_ticket(world_a.tenant, "T-1"), make_ticket(world_a.tenant, "T-2", contact="user-3")
        merged = merge_tickets(tenant=world_a.tenant, source=source, into=into, by=world_a.admin.user)
        assert (merged.merged_into_id, merged.status) == (into.pk, "closed")
        assert TicketStatusChange.objects.get(ticket=source).changed_by == world_a.admin.user
        notes = dict(Interaction.objects.filter(is_internal=True).values_list("ticket__external_id", "body"))
        assert "Merged into ticket T-2" in notes["T-1"] and "T-1 was merged into this one" in notes["T-2"]


@pytest.mark.parametrize("case", ["itself", "into_merged", "already_merged", "other_account"])
def test_merge_refusals_name_the_field_and_change_nothing(world_a, case):
    with world_a.scope():
        a, b, c = (make_ticket(world_a.tenant, f"T-{i}") for i in (1, 2, 3))
        if case in ("into_merged", "already_merged"):
            merge_tickets(tenant=world_a.tenant, source=b if case == "into_merged" else a, into=c, by=None)
        other = make_ticket(world_a.tenant, "T-9", contact="user-1")  # user-1 is of another account
        before = list(Ticket.objects.order_by("pk").values_list("status", "merged_into_id"))
        notes = Interaction.objects.count()
        source, into = {"itself": (a, a), "into_merged": (a, b), "already_merged": (a, b),
                        "other_account": (a, other)}[case]
        with pytest.raises(RecordError) as caught:
            merge_tickets(tenant=world_a.tenant, source=source, into=into, by=None)
        assert caught.value.field in ("into", "source")
        assert list(Ticket.objects.order_by("pk").values_list("status", "merged_into_id")) == before
        assert Interaction.objects.count() == notes


def test_merge_api(world_a):
    with world_a.scope():
        make_ticket(world_a.tenant, "T-1")
        make_ticket(world_a.tenant, "T-2")
    api = world_a.api()
    response = api.post("/api/v1/tickets/T-1/merge", {"into": "T-2"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["merged_into"], response.json()["status"]) == ("T-2", "closed")
    response = api.post("/api/v1/tickets/T-2/merge", {"into": "nope"}, content_type="application/json")
    assert response.status_code == 400 and "into" in response.content.decode()
    response = api.post("/api/v1/tickets/T-2/merge", {"into": "T-1"}, content_type="application/json")
    assert response.status_code == 400 and "merged into another" in response.content.decode()
    response = api.post("/api/v1/tickets/T-2/merge", {}, content_type="application/json")
    assert response.status_code == 400 and "into" in response.content.decode()
    assert api.post("/api/v1/tickets/NOPE/merge", {"into": "T-1"}, content_type="application/json").status_code == 404


def test_merge_from_the_desk_lands_on_the_ticket_that_stays(world_a):
    with world_a.scope():
        source = make_ticket(world_a.tenant, "T-1")
        into = make_ticket(world_a.tenant, "T-2")
        ContactFactory(tenant=world_a.tenant, account=world_a.accounts[1], external_id="far")
        far = make_ticket(world_a.tenant, "T-3", contact="far")
    client = world_a.client_for()
    url = f"/t/{world_a.tenant.slug}/support/tickets/{source.pk}/merge/"
    response = client.post(url, {"into": "T-3"})
    assert response.status_code == 400 and "into: the tickets&#x27; customers belong to different accounts" in \
        response.content.decode()
    assert client.post(url, {"into": ""}).status_code == 400
    response = client.post(url, {"into": "T-2"})
    assert response.status_code == 302 and response["Location"].endswith(f"/tickets/{into.pk}/")
    page = client.get(f"/t/{world_a.tenant.slug}/support/tickets/{source.pk}/").content.decode()
    assert "Merged into" in page and 'action="' + url not in page
    with world_a.scope():
        far.refresh_from_db()
        assert far.merged_into_id is None
