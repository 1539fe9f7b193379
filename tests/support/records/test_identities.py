"""One person, many addresses: normalization, matching, creation from an unknown identity, merge."""

from __future__ import annotations

import pytest

from accounts.models import Contact
from accounts.tenancy import tenant_scope
from support.models import ContactIdentity, ContactMerge, Interaction, Ticket
from support.records.services.identities import (
    IdentityError,
    merge_contacts,
    normalize_email,
    normalize_phone,
    normalize_social,
    resolve_contact,
)
from tests.support.conftest import add, at, make_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("raw", "expected"), [
    ("+1 (555) 010-2000", "+15550102000"),
    ("0015550102000", "+15550102000"),
    ("+44 20 7946 0958", "+442079460958"),
    ("1.555.010.2000", "+15550102000"),
])
def test_phone_normalization(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12", "+1 555 010 2000 1234 5678", "555-CALL-NOW"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(IdentityError):
        normalize_phone(raw)


def test_email_and_social_normalization():
    assert normalize_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert normalize_social("Twitter:@JaneDoe") == "twitter:janedoe"
    with pytest.raises(IdentityError):
        normalize_social("janedoe")
    with pytest.raises(IdentityError):
        normalize_email("not-an-email")


def test_same_person_on_chat_by_email_and_on_phone_by_number_is_one_contact(desk):
    tenant, world = desk["tenant"], desk["world"]
    account = world.accounts[0]
    chat = resolve_contact(tenant=tenant, identities=[("email", "jane@acme0.example.com")], account=account)
    assert chat.created
    # One interaction carries both addresses: the phone is linked to the contact found by email.
    both = resolve_contact(tenant=tenant, identities=[("email", "jane@acme0.example.com"), ("phone", "+15550102000")])
    assert both.contact == chat.contact and not both.created
    phone = resolve_contact(tenant=tenant, identities=[("phone", normalize_phone("+1 555 010 2000"))])
    assert phone.contact == chat.contact and not phone.created
    assert set(ContactIdentity.objects.filter(contact=chat.contact).values_list("kind", "value")) == {
        ("email", "jane@acme0.example.com"), ("phone", "+15550102000")}


def test_unknown_identity_matches_an_existing_contact_by_email_or_phone(desk):
    tenant, world = desk["tenant"], desk["world"]
    existing = world.contacts[1]
    found = resolve_contact(tenant=tenant, identities=[("email", existing.email.upper().lower())])
    assert found.contact == existing and not found.created
    existing.phone = "+1 (555) 777-1234"
    existing.save()
    by_phone = resolve_contact(tenant=tenant, identities=[("phone", "+15557771234")])
    assert by_phone.contact == existing


def test_unknown_identity_creates_a_contact_and_enrolls_it(desk, monkeypatch, django_capture_on_commit_callbacks):
    tenant, world = desk["tenant"], desk["world"]
    enrolled = []
    monkeypatch.setattr("learning.services.enroll_new_contacts",
                        lambda *, tenant, contact_ids: enrolled.extend(contact_ids) or len(contact_ids))
    before = Contact.objects.count()
    # No account given: the account whose domain is the email's domain.
    account = world.accounts[2]
    with django_capture_on_commit_callbacks(execute=True):  # the hook runs once the creation commits
        result = resolve_contact(tenant=tenant, identities=[("email", f"new.person@{account.domain}")], name="New")
    assert result.created and Contact.objects.count() == before + 1
    assert result.contact.account == account and result.contact.name == "New"
    assert enrolled == [result.contact.pk]
    with pytest.raises(IdentityError) as exc:
        resolve_contact(tenant=tenant, identities=[("email", "nobody@unknown-domain.example")])
    assert exc.value.field == "account"


def test_merge_moves_everything_and_writes_the_audit_row(desk):
    tenant, world = desk["tenant"], desk["world"]
    kept, merged = world.contacts[0], world.contacts[3]  # both in accounts[0]
    ContactIdentity.objects.create(tenant=tenant, contact=merged, kind="phone", value="+15550009999")
    ticket = make_ticket(tenant, external_id="T-m", contact=merged.external_id)
    add(tenant, ticket, "m1", started_at=at(0))
    merge = merge_contacts(tenant=tenant, kept=kept, merged=merged, merged_by=world.admin.user)
    assert Ticket.objects.get(pk=ticket.pk).contact_id == kept.pk
    assert Interaction.objects.get(external_id="m1").contact_id == kept.pk
    assert set(ContactIdentity.objects.filter(contact=kept).values_list("kind", "value")) >= {
        ("phone", "+15550009999"), ("email", merged.email)}
    assert not Contact.objects.filter(pk=merged.pk).exists()
    merge.refresh_from_db()
    assert merge.kept_contact_id == kept.pk and merge.merged_external_id == merged.external_id
    assert merge.merged_by == world.admin.user and merge.merged_contact_deleted
    assert merge.moved_counts == {"identities": 1, "tickets": 1, "interactions": 1}
    assert merge.merged_snapshot["email"] == merged.email
    # Future interactions from the merged person's address find the kept contact.
    assert resolve_contact(tenant=tenant, identities=[("email", merged.email)]).contact == kept


def test_merge_across_accounts_needs_confirmation(desk):
    tenant, world = desk["tenant"], desk["world"]
    kept, merged = world.contacts[0], world.contacts[1]  # accounts 0 and 1
    with pytest.raises(IdentityError) as exc:
        merge_contacts(tenant=tenant, kept=kept, merged=merged)
    assert exc.value.field == "allow_cross_account"
    assert Contact.objects.filter(pk=merged.pk).exists() and not ContactMerge.objects.exists()
    merge_contacts(tenant=tenant, kept=kept, merged=merged, allow_cross_account=True)
    assert not Contact.objects.filter(pk=merged.pk).exists()


def test_merge_is_tenant_safe(desk, world_b):
    tenant = desk["tenant"]
    kept = desk["world"].contacts[0]
    with world_b.scope():
        theirs = world_b.contacts[0]
    with pytest.raises(IdentityError):
        merge_contacts(tenant=tenant, kept=kept, merged=theirs)
    with tenant_scope(world_b.tenant):
        assert Contact.objects.filter(pk=theirs.pk).exists()
        assert not ContactMerge.objects.exists()
    assert not ContactMerge.objects.exists()


def test_identities_do_not_cross_tenants(desk, world_b):
    with world_b.scope():
        resolve_contact(tenant=world_b.tenant, identities=[("phone", "+15550102000")], account=world_b.accounts[0])
    result = resolve_contact(tenant=desk["tenant"], identities=[("phone", "+15550102000")],
                             account=desk["world"].accounts[0])
    assert result.created and result.contact.tenant_id == desk["tenant"].pk
