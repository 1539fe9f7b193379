"""Contact.language, the input of the invitation's language: set and validated through the contacts API
and the contact form, shown on the contact page."""

from __future__ import annotations

import json

import pytest

from accounts.models import Contact


def upsert(world, items):
    return world.api().post("/api/v1/contacts/bulk", json.dumps(items), content_type="application/json")


def test_the_api_sets_language_and_keeps_it_when_omitted(world_a):
    body = upsert(world_a, [{"external_id": "user-0", "account": "acc-0", "language": "zh-Hans"}]).json()
    assert (body["accepted"], body["rejected"]) == (1, [])
    upsert(world_a, [{"external_id": "user-0", "account": "acc-0", "name": "Renamed"}])
    with world_a.scope():
        assert Contact.objects.get(external_id="user-0").language == "zh-Hans"
    listed = world_a.api().get("/api/v1/contacts/user-0").json()
    assert listed["language"] == "zh-Hans"


@pytest.mark.parametrize("bad", ["english", "EN", "e", "en_US", "x" * 17, "en-"])
def test_a_bad_language_is_rejected_naming_the_field(world_a, bad):
    body = upsert(world_a, [{"external_id": "user-9", "account": "acc-0", "language": bad}]).json()
    assert body["accepted"] == 0 and body["rejected"][0]["errors"][0]["field"] == "language", body
    with world_a.scope():
        assert not Contact.objects.filter(external_id="user-9").exists()


def test_the_contact_form_sets_and_validates_language_and_the_page_shows_it(world_a):
    contact = world_a.contacts[0]
    edit = f"/t/{world_a.tenant.slug}/contacts/{contact.pk}/edit/"
    form = {"external_id": contact.external_id, "account": contact.account_id, "name": contact.name,
            "email": contact.email, "phone": "", "persona": "", "knowledge_level": contact.knowledge_level}
    client = world_a.client_for()
    bad = client.post(edit, {**form, "language": "turkish"})
    assert bad.status_code == 200 and "Language: a language code such as en" in bad.content.decode()
    assert client.post(edit, {**form, "language": "tr"}).status_code == 302
    with world_a.scope():
        assert Contact.objects.get(pk=contact.pk).language == "tr"
    page = client.get(f"/t/{world_a.tenant.slug}/contacts/{contact.pk}/").content.decode()
    assert "<dt>Language</dt><dd>tr</dd>" in page
