"""CSM notes and logged touches: created from the account page (htmx), edited and deleted by their author
or an admin, bad input a 400 naming the field with nothing written, roles per accounts.permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountNote, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def create_url(world, account=None) -> str:
    return reverse("note-create", args=[world.tenant.slug, (account or world.accounts[0]).pk])


def notes(world) -> list[AccountNote]:
    with world.scope():
        return list(AccountNote.objects.order_by("pk"))


def member(world, role: str):
    with world.scope():
        return MembershipFactory(tenant=world.tenant, role=role, user=UserFactory(username=f"{role}2@alpha.test"))


def make_note(world, author) -> AccountNote:
    with world.scope():
        return AccountNote.objects.create(tenant=world.tenant, account=world.accounts[0], kind="meeting",
                                          subject="Onboarding plan", body="Agreed on a plan.",
                                          happened_at=timezone.now(), author=author.user)


def test_csm_logs_a_call_from_the_account_page_with_htmx(world_a):
    a = world_a
    client = a.client_for(a.csm)
    page = client.get(reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk])).content.decode()
    assert 'id="note-form"' in page and f'hx-post="{create_url(a)}"' in page
    response = client.post(create_url(a), {"kind": "call", "happened_at": "2026-11-30T09:30", "subject": "Renewal",
                                           "body": "Champion leaves in March."}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section") and "Call saved on the timeline." in body
    assert "Renewal" in body and "Champion leaves in March." in body
    (note,) = notes(a)
    assert (note.kind, note.subject, note.author, note.updated_by) == ("call", "Renewal", a.csm.user, a.csm.user)
    # The tenant's wall-clock time (America/Los_Angeles, UTC-8 in November).
    assert note.happened_at == dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)


def test_time_defaults_to_now_and_a_plain_post_redirects_to_the_timeline(world_a):
    a = world_a
    before = timezone.now()
    response = a.client_for(a.csm).post(create_url(a), {"kind": "note", "body": "Quiet month."})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    (note,) = notes(a)
    assert before <= note.happened_at <= timezone.now() and note.subject == ""


@pytest.mark.parametrize(("data", "field"), [
    ({"kind": "note", "body": ""}, "body"),
    ({"kind": "note", "body": "   "}, "body"),
    ({"kind": "note", "body": "x" * 10_001}, "body"),
    ({"kind": "note", "body": "nul \x00 inside"}, "body"),
    ({"kind": "fax", "body": "ok"}, "kind"),
    ({"kind": "note", "body": "ok", "subject": "s" * 201}, "subject"),
    ({"kind": "note", "body": "ok", "happened_at": "1999-12-31T10:00"}, "happened_at"),
    ({"kind": "note", "body": "ok", "happened_at": "2099-01-01T10:00"}, "happened_at"),
    ({"kind": "note", "body": "ok", "happened_at": "yesterday"}, "happened_at"),
    ({"kind": "note", "body": "ok", "happened_at": "٢٠٢٦-01-01T10:00"}, "happened_at"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(world_a, data, field, htmx):
    a = world_a
    headers = {"HX-Request": "true"} if htmx else {}
    response = a.client_for(a.csm).post(create_url(a), data, headers=headers)
    assert response.status_code == 400
    assert list(response.context["note_form"].errors if htmx else response.context["form"].errors) == [field]
    body = response.content.decode()
    assert f'name="{field}"' in body and 'class="errorlist' in body
    assert notes(a) == []


def test_roles_that_may_not_write_notes_get_403(world_a):
    a = world_a
    agent = member(a, Role.AGENT)
    for membership in (a.viewer, agent):
        client = a.client_for(membership)
        assert client.post(create_url(a), {"kind": "note", "body": "no"}).status_code == 403
        page = client.get(reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk])).content.decode()
        assert 'id="note-form"' not in page
    assert notes(a) == []


def test_author_edits_and_the_history_of_the_edit_is_kept(world_a):
    a = world_a
    note = make_note(a, a.csm)
    client = a.client_for(a.csm)
    url = reverse("note-edit", args=[a.tenant.slug, note.pk])
    form = client.get(url)
    assert form.status_code == 200 and "Agreed on a plan." in form.content.decode()
    response = client.post(url, {"kind": "meeting", "subject": "Plan v2", "body": "Revised.",
                                 "happened_at": "2026-11-02T08:00"})
    assert response.status_code == 302
    (saved,) = notes(a)
    assert (saved.subject, saved.body, saved.author, saved.updated_by) == ("Plan v2", "Revised.", a.csm.user,
                                                                           a.csm.user)
    bad = client.post(url, {"kind": "meeting", "subject": "x", "body": ""})
    assert bad.status_code == 400 and list(bad.context["form"].errors) == ["body"]
    assert notes(a)[0].body == "Revised."


def test_only_the_author_or_an_admin_changes_a_note(world_a):
    a = world_a
    note = make_note(a, a.csm)
    other_csm, manager = member(a, Role.CSM), member(a, Role.MANAGER)
    edit = reverse("note-edit", args=[a.tenant.slug, note.pk])
    delete = reverse("note-delete", args=[a.tenant.slug, note.pk])
    detail = reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk])
    for membership in (other_csm, manager, a.viewer):
        client = a.client_for(membership)
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"kind": "note", "body": "hijack"}).status_code == 403
        assert client.post(delete).status_code == 403
        assert edit not in client.get(detail).content.decode()  # no edit link where the page would refuse
    assert notes(a)[0].body == "Agreed on a plan."
    admin = a.client_for(a.admin)
    assert edit in admin.get(detail).content.decode()
    assert admin.post(edit, {"kind": "note", "body": "Admin fixed a typo."}).status_code == 302
    assert notes(a)[0].updated_by == a.admin.user and notes(a)[0].author == a.csm.user
    assert admin.get(delete).status_code == 405
    assert admin.post(delete).status_code == 302
    assert notes(a) == []


def test_author_deletes_own_note(world_a):
    a = world_a
    note = make_note(a, a.csm)
    client = a.client_for(a.csm)
    assert reverse("note-edit", args=[a.tenant.slug, note.pk]) in client.get(
        reverse("account-detail", args=[a.tenant.slug, a.accounts[0].pk])).content.decode()
    assert client.post(reverse("note-delete", args=[a.tenant.slug, note.pk])).status_code == 302
    assert notes(a) == []


def test_another_tenants_note_is_404(worlds):
    a, b = worlds
    note = make_note(b, b.csm)
    client = a.client_for(a.admin)
    assert client.get(reverse("note-edit", args=[a.tenant.slug, note.pk])).status_code == 404
    assert client.post(reverse("note-delete", args=[a.tenant.slug, note.pk])).status_code == 404
    with b.scope():
        assert create_url(a, b.accounts[0]) and client.post(
            create_url(a, b.accounts[0]), {"kind": "note", "body": "x"}).status_code == 404
    assert len(notes(b)) == 1 and notes(a) == []
