"""The agent-facing merge of two contacts: search (this tenant only), confirmation side by side, the
merge through the service with its audit row, the cross-account checkbox, permissions, tenant isolation
of the duplicate's id, the merge history and bounded queries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Contact, Role
from support.models import ContactIdentity, ContactMerge, Ticket
from tests.factories import ContactFactory, MembershipFactory, UserFactory
from tests.isolation.test_cross_tenant import snapshot
from tests.support.desk_helpers import add_interaction, ago, count_queries, make_ticket

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def merge_url(world, contact) -> str:
    return reverse("contact-merge", args=[world.tenant.slug, contact.pk])


def candidate_pks(response) -> list[int]:
    """The contacts the htmx search partial offers to choose (a partial carries no test context)."""
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r"\?duplicate=(\d+)\"", response.content.decode())]


@pytest.fixture
def dup(world_a):
    """contacts[0] and contacts[3] share account 0 (same person twice); contacts[1] is in account 1."""
    a = world_a
    kept, merged, elsewhere = a.contacts[0], a.contacts[3], a.contacts[1]
    with a.scope():
        ContactIdentity.objects.create(tenant=a.tenant, contact=merged, kind="phone", value="+15550009999")
        ContactIdentity.objects.create(tenant=a.tenant, contact=merged, kind="social", value="twitter:jane")
        ticket = make_ticket(a.tenant, "T-dup", contact=merged.external_id, subject="From the duplicate")
        add_interaction(a.tenant, ticket, "i-dup", started_at=ago(30), body="Hello again")
        make_ticket(a.tenant, "T-kept", contact=kept.external_id, subject="From the kept one")
    return {"world": a, "kept": kept, "merged": merged, "elsewhere": elsewhere, "ticket": ticket}


def test_search_lists_only_this_tenants_candidates_and_not_the_contact_itself(worlds):
    a, b = worlds
    contact = a.contacts[0]
    client = a.client_for()
    # Both tenants hold "Person 0".."Person 3" with the same external ids: only A's others may come back.
    response = client.get(merge_url(a, contact), {"q": "Person"}, headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # the htmx partial, not the page
    assert set(candidate_pks(response)) == {c.pk for c in a.contacts[1:]}

    by_external_id = candidate_pks(client.get(merge_url(a, contact), {"q": "user-3"}, headers=HX))
    assert by_external_id == [a.contacts[3].pk]
    by_email = candidate_pks(client.get(merge_url(a, contact), {"q": "user2@acme2"}, headers=HX))
    assert by_email == [a.contacts[2].pk]
    with a.scope():
        ContactIdentity.objects.create(tenant=a.tenant, contact=a.contacts[1], kind="phone", value="+15551234567")
    with b.scope():
        ContactIdentity.objects.create(tenant=b.tenant, contact=b.contacts[2], kind="phone", value="+15551234567")
    by_phone = candidate_pks(client.get(merge_url(a, contact), {"q": "(555) 123-4567"}, headers=HX))
    assert by_phone == [a.contacts[1].pk]
    # The contact itself is never a candidate, even when it matches.
    assert candidate_pks(client.get(merge_url(a, contact), {"q": "user-0"}, headers=HX)) == []


def test_search_page_without_htmx_is_the_whole_page(dup):
    a = dup["world"]
    response = a.client_for().get(merge_url(a, dup["kept"]), {"q": "user-3"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "Find the duplicate" in body
    assert f"?duplicate={dup['merged'].pk}" in body


def test_confirm_page_shows_both_contacts_side_by_side(dup):
    a, kept, merged = dup["world"], dup["kept"], dup["merged"]
    before = snapshot()
    response = a.client_for().get(merge_url(a, kept), {"duplicate": merged.pk})
    assert response.status_code == 200
    sides = response.context["sides"]
    assert [s.contact.pk for s in sides] == [kept.pk, merged.pk]  # the page's contact is kept by default
    assert [s.open_tickets for s in sides] == [1, 1]
    assert {f"{i.kind}:{i.value}" for i in sides[1].identities} >= {"phone:+15550009999", "social:twitter:jane"}
    body = response.content.decode()
    assert "Kept" in body and "twitter:jane" in body and kept.account.name in body
    assert 'name="confirm_cross_account"' not in body  # same account: no checkbox
    assert snapshot() == before  # showing the confirmation changes nothing

    swapped = a.client_for().get(merge_url(a, kept), {"duplicate": merged.pk, "keep": "duplicate"})
    assert [s.contact.pk for s in swapped.context["sides"]] == [merged.pk, kept.pk]
    assert 'name="keep" value="duplicate"' in swapped.content.decode()


def test_same_account_merge_moves_tickets_and_identities_and_writes_the_audit_row(dup):
    a, kept, merged = dup["world"], dup["kept"], dup["merged"]
    client = a.client_for()
    response = client.post(merge_url(a, kept), {"duplicate": merged.pk})
    assert response.status_code == 302
    assert response.url == reverse("contact-detail", args=[a.tenant.slug, kept.pk])
    with a.scope():
        assert not Contact.objects.filter(pk=merged.pk).exists()
        assert Ticket.objects.get(pk=dup["ticket"].pk).contact_id == kept.pk
        assert set(ContactIdentity.objects.filter(contact=kept).values_list("value", flat=True)) >= {
            "+15550009999", "twitter:jane", merged.email}
        merge = ContactMerge.objects.get()
    assert merge.kept_contact_id == kept.pk and merge.merged_external_id == merged.external_id
    assert merge.merged_by == a.admin.user
    assert merge.moved_counts == {"identities": 2, "tickets": 1, "interactions": 1}

    page = client.get(response.url).content.decode()
    assert "Merged “Person 3” into “Person 0”: 1 ticket(s), 1 interaction(s) and 2 identities moved." in page
    assert f"{merge_url(a, kept)}#history" in page
    history = client.get(merge_url(a, kept))
    assert [m.pk for m in history.context["history"]] == [merge.pk]
    body = history.content.decode()
    assert merged.external_id in body and a.admin.user.get_username() in body and "1 ticket," in body


def test_keeping_the_duplicate_folds_this_pages_contact_into_it(dup):
    a, kept, merged = dup["world"], dup["kept"], dup["merged"]
    response = a.client_for().post(merge_url(a, kept), {"duplicate": merged.pk, "keep": "duplicate"})
    assert response.status_code == 302
    assert response.url == reverse("contact-detail", args=[a.tenant.slug, merged.pk])
    with a.scope():
        assert not Contact.objects.filter(pk=kept.pk).exists()
        assert set(Ticket.objects.filter(external_id__in=["T-dup", "T-kept"]).values_list("contact", flat=True)) == {
            merged.pk}
        assert ContactMerge.objects.get().kept_contact_id == merged.pk


def test_cross_account_merge_is_refused_without_the_checkbox_and_done_with_it(dup):
    a, kept, elsewhere = dup["world"], dup["kept"], dup["elsewhere"]
    client = a.client_for()
    confirm = client.get(merge_url(a, kept), {"duplicate": elsewhere.pk}).content.decode()
    assert 'name="confirm_cross_account"' in confirm and "different accounts" in confirm

    before = snapshot()
    refused = client.post(merge_url(a, kept), {"duplicate": elsewhere.pk})
    assert refused.status_code == 400
    assert "confirm_cross_account" in refused.context["error"]
    assert snapshot() == before

    done = client.post(merge_url(a, kept), {"duplicate": elsewhere.pk, "confirm_cross_account": "on"})
    assert done.status_code == 302
    with a.scope():
        assert not Contact.objects.filter(pk=elsewhere.pk).exists()
        assert ContactMerge.objects.get().merged_snapshot["account"] == elsewhere.account.external_id


def test_merging_a_contact_with_itself_is_a_clear_400(dup):
    a, kept = dup["world"], dup["kept"]
    before = snapshot()
    response = a.client_for().post(merge_url(a, kept), {"duplicate": kept.pk})
    assert response.status_code == 400 and "duplicate" in response.context["error"]
    assert snapshot() == before


def test_permissions_viewer_is_refused_agent_and_csm_may_merge(dup):
    a, kept, merged = dup["world"], dup["kept"], dup["merged"]
    viewer = a.client_for(a.viewer)
    before = snapshot()
    assert viewer.get(merge_url(a, kept)).status_code == 403
    assert viewer.post(merge_url(a, kept), {"duplicate": merged.pk}).status_code == 403
    assert snapshot() == before
    contact_page = viewer.get(reverse("contact-detail", args=[a.tenant.slug, kept.pk])).content.decode()
    assert merge_url(a, kept) not in contact_page

    with a.scope():
        agent = MembershipFactory(tenant=a.tenant, role=Role.AGENT, user=UserFactory(username="agent@alpha.test"))
    assert a.client_for(a.csm).get(merge_url(a, kept)).status_code == 200
    agent_client = a.client_for(agent)
    contact_page = agent_client.get(reverse("contact-detail", args=[a.tenant.slug, kept.pk])).content.decode()
    assert merge_url(a, kept) in contact_page
    ticket_page = agent_client.get(reverse("ticket-detail", args=[a.tenant.slug, dup["ticket"].pk])).content.decode()
    assert merge_url(a, merged) in ticket_page
    assert agent_client.post(merge_url(a, kept), {"duplicate": merged.pk}).status_code == 302
    with a.scope():
        assert ContactMerge.objects.get().merged_by == agent.user


def test_other_tenants_contact_as_the_duplicate_is_404_and_changes_nothing(worlds):
    a, b = worlds
    kept, foreign = a.contacts[0], b.contacts[3]  # same external id and name in both tenants
    with b.scope():
        make_ticket(b.tenant, "T-b", contact=foreign.external_id, subject="bravo ticket")
    client = a.client_for()
    before = snapshot()
    assert client.get(merge_url(a, kept), {"duplicate": foreign.pk}).status_code == 404
    for data in ({"duplicate": foreign.pk}, {"duplicate": foreign.pk, "confirm_cross_account": "on"},
                 {"duplicate": foreign.pk, "keep": "duplicate", "confirm_cross_account": "on"}):
        response = client.post(merge_url(a, kept), data)
        assert response.status_code == 404
        assert "bravo" not in response.content.decode().lower()
    assert client.post(merge_url(a, kept), {"duplicate": "not-a-number"}).status_code == 404
    assert snapshot() == before


def test_merge_page_queries_do_not_grow_with_identities_tickets_or_history(dup):
    a, kept, merged = dup["world"], dup["kept"], dup["merged"]
    client = a.client_for()

    def counts() -> tuple[int, int, int]:
        out = []
        for params in ({"duplicate": merged.pk}, {"q": "Person"}, {}):
            with count_queries() as ctx:
                assert client.get(merge_url(a, kept), params).status_code == 200
            out.append(len(ctx.captured_queries))
        return tuple(out)

    small = counts()
    with a.scope():
        for n in range(6):
            ContactIdentity.objects.create(tenant=a.tenant, contact=merged, kind="in_app", value=f"app-{n}")
            make_ticket(a.tenant, f"T-more-{n}", contact=merged.external_id)
            ContactMerge.objects.create(tenant=a.tenant, kept_contact=kept, merged_external_id=f"old-{n}",
                                        merged_by=a.admin.user if n % 2 else None, merged_at=ago(n),
                                        moved_counts={"tickets": n})
            ContactFactory(tenant=a.tenant, account=a.accounts[n % 3], name=f"Person extra {n}",
                           external_id=f"extra-{n}", email=f"extra{n}@example.com")
    assert counts() == small
