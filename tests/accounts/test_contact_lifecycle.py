"""Issue 9, "contact lifecycle in one place": every source of a new contact (API bulk, CSV import, the
contact page, a ticket from an unknown address, a first usage event) goes through
``accounts.services.contacts``, which hands exactly the contacts it created to continuous onboarding
(``learning.services.enroll_new_contacts``) once per write, after the write commits; never updated
contacts, duplicates of a re-sent item, contacts a concurrent request created first, or a write that
rolled back. Support's merge goes through the same module.

The real database throughout; only the hook is replaced, by a recorder. The test's transaction never
commits, so ``committed()`` runs what the writes deferred to their commit, as a real commit would.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import imports
from accounts.models import Contact, Job
from accounts.services import contacts as contact_services
from accounts.services.contacts import create_contact, upsert_contacts
from health.usage import tasks as usage_tasks
from health.usage.services import partitions
from support.models import ContactMerge
from support.records.services import identities
from support.records.services.identities import merge_contacts
from tests.factories import ContactFactory
from tests.health.conftest import event, post_events

pytestmark = pytest.mark.django_db

CONTACTS_BULK = "/api/v1/contacts/bulk"
TICKETS = "/api/v1/tickets"


@pytest.fixture(autouse=True)
def _fresh_partition_cache():
    # As in tests/health: partitions that a test's rolled-back transaction made are gone with it.
    partitions.forget_known_partitions()
    yield
    partitions.forget_known_partitions()


@pytest.fixture
def enrolled(monkeypatch) -> list[tuple[int, list[int]]]:
    """The hook's calls, as (tenant id, contact ids), in order."""
    calls: list[tuple[int, list[int]]] = []

    def record(*, tenant, contact_ids):
        calls.append((tenant.pk, list(contact_ids)))
        return 0

    monkeypatch.setattr("learning.services.enroll_new_contacts", record)
    return calls


@pytest.fixture
def committed(django_capture_on_commit_callbacks, monkeypatch):
    """``with committed(): ...`` runs the on-commit work of the writes inside it when the block ends.
    Ingestion's rollup-merge enqueue (also on commit) is stubbed: no message for a broker."""
    monkeypatch.setattr(usage_tasks.merge_usage_rollups, "apply_async", lambda *args, **kwargs: None)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pks(world, *external_ids: str) -> list[int]:
    with world.scope():
        found = dict(Contact.objects.filter(external_id__in=external_ids).values_list("external_id", "pk"))
    assert set(found) == set(external_ids), found
    return sorted(found.values())


def post_json(client, url: str, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_bulk_enrolls_the_new_contacts_of_a_batch_in_one_call(worlds, enrolled, committed):
    a, b = worlds
    batch = [
        {"external_id": "c-1", "account": "acc-1", "email": "c1@example.com"},
        {"external_id": "user-0", "account": "acc-0", "name": "Renamed"},  # an update
        {"external_id": "c-2", "account": "acc-2"},
        {"external_id": "user-1", "account": "acc-1"},  # unchanged: a duplicate
        {"external_id": "c-3", "account": "no-such-account"},  # rejected: never created
    ]
    with committed():
        body = post_json(a.api(), CONTACTS_BULK, batch).json()
        assert enrolled == []  # not before the write commits
    assert (body["created"], body["updated"], body["duplicates"], len(body["rejected"])) == (2, 1, 1, 1)
    assert enrolled == [(a.tenant.pk, pks(a, "c-1", "c-2"))]

    # The same batch again (a retry): nothing new, no call. A later batch: only its new contact.
    with committed():
        assert post_json(a.api(), CONTACTS_BULK, batch).json()["created"] == 0
    with committed():
        post_json(a.api(), CONTACTS_BULK, [{"external_id": "c-1", "account": "acc-1", "name": "One"},
                                           {"external_id": "c-4", "account": "acc-0"}])
    assert enrolled == [(a.tenant.pk, pks(a, "c-1", "c-2")), (a.tenant.pk, pks(a, "c-4"))]
    # Tenant B's look-alike batch enrolls B's contacts, under B.
    with committed():
        post_json(b.api(), CONTACTS_BULK, [{"external_id": "c-1", "account": "acc-1"}])
    assert enrolled[-1] == (b.tenant.pk, pks(b, "c-1"))


def test_api_bulk_hook_costs_no_query_per_contact(world_a, enrolled, committed):
    world_a.api().get("/api/v1/contacts")  # stamps the key's last_used_at once

    def queries(prefix: str, n: int) -> int:
        items = [{"external_id": f"{prefix}-{i}", "account": "acc-0"} for i in range(n)]
        with committed(), CaptureQueriesContext(connection) as ctx:
            assert post_json(world_a.api(), CONTACTS_BULK, items).json()["created"] == n
        return len(ctx.captured_queries)

    assert queries("few", 2) == queries("many", 40)
    assert [len(ids) for _, ids in enrolled] == [2, 40]


def test_csv_import_enrolls_each_chunks_new_contacts_once(world_a, enrolled, committed):
    a = world_a
    text = (
        "external_id,account,email,name\n"
        "c-1,acc-0,c1@example.com,One\n"
        "user-0,acc-0,user0@acme0.example.com,Person 0\n"  # as stored: a duplicate
        "c-2,acc-1,,Two\n"
        "user-1,acc-1,user1@acme1.example.com,Renamed\n"  # an update
        "c-3,acc-2,,Three\n"
    )
    with a.scope():
        job = Job.objects.create(tenant=a.tenant, kind="import_contacts", total=5, input_text=text)
    with committed(), a.scope():
        imports.run_import(tenant=a.tenant, job=job, chunk_size=2)
    job.refresh_from_db()
    assert (job.state, job.result["created"], job.result["updated"], job.result["duplicates"]) == ("done", 3, 1, 1)
    assert enrolled == [(a.tenant.pk, pks(a, "c-1")), (a.tenant.pk, pks(a, "c-2")), (a.tenant.pk, pks(a, "c-3"))]

    # A redelivered import job redoes its upserts: all duplicates now, so nobody is enrolled again.
    with committed(), a.scope():
        imports.run_import(tenant=a.tenant, job=job, chunk_size=2)
    job.refresh_from_db()
    assert job.result["duplicates"] == 5 and len(enrolled) == 3


def test_contact_page_form_enrolls_a_created_contact_not_an_edited_one(world_a, enrolled, committed):
    a = world_a
    client = a.client_for(a.csm)
    data = {"external_id": "c-new", "account": a.accounts[1].pk, "name": "Ada Lovelace", "email": "ada@example.com",
            "phone": "", "persona": "admin", "knowledge_level": "expert"}
    with committed():
        assert client.post(reverse("contact-create", args=[a.tenant.slug]), data).status_code == 302
    new_pk = pks(a, "c-new")[0]
    assert enrolled == [(a.tenant.pk, [new_pk])]

    with committed():
        edit = client.post(reverse("contact-edit", args=[a.tenant.slug, new_pk]), {**data, "name": "Ada King"})
        assert edit.status_code == 302
        # The same form posted again: the external id is taken, a form error, nothing written.
        again = client.post(reverse("contact-create", args=[a.tenant.slug]), data)
        assert again.status_code == 200 and "external_id" in again.context["form"].errors
    assert enrolled == [(a.tenant.pk, [new_pk])]


def test_ticket_from_an_unknown_email_enrolls_the_contact_it_creates(world_a, enrolled, committed):
    a = world_a
    api = a.api()
    email = f"new.person@{a.accounts[2].domain}"  # the account whose domain is the email's
    with committed():
        r = post_json(api, TICKETS, {"external_id": "HD-1", "contact_email": email, "channel": "email"})
    assert r.status_code == 201, r.content
    contact_pk = pks(a, r.json()["contact"])[0]
    assert enrolled == [(a.tenant.pk, [contact_pk])]

    # The same person again, a known contact by external id, and the same ticket re-sent: no new contact.
    with committed():
        assert post_json(api, TICKETS, {"external_id": "HD-2", "contact_email": email.upper(),
                                        "channel": "chat"}).json()["contact"] == r.json()["contact"]
        known = post_json(api, TICKETS, {"external_id": "HD-3", "contact": "user-0", "channel": "email"})
        assert known.status_code == 201
        post_json(api, TICKETS, {"external_id": "HD-1", "contact_email": email, "channel": "email"})
    assert enrolled == [(a.tenant.pk, [contact_pk])]


def test_first_usage_event_enrolls_the_contacts_a_batch_creates(world_a, enrolled, committed):
    a = world_a
    items = [event("e1", contact="new-1"), event("e2", contact="new-1"), event("e3", contact="new-2", account="acc-1"),
             event("e4", contact="user-0")]
    with committed():
        assert post_events(a, items).json()["contacts_created"] == 2
    assert enrolled == [(a.tenant.pk, pks(a, "new-1", "new-2"))]

    with committed():
        assert post_events(a, items).json()["duplicates"] == 4  # the same batch again
        assert post_events(a, [event("e5", contact="new-1"), event("e6", contact="new-3")]).json()[
            "contacts_created"] == 1
    assert enrolled == [(a.tenant.pk, pks(a, "new-1", "new-2")), (a.tenant.pk, pks(a, "new-3"))]


def test_a_write_that_rolls_back_enrolls_nobody(world_a, enrolled, committed):
    a = world_a
    with committed(), a.scope():
        with pytest.raises(RuntimeError), transaction.atomic():
            assert upsert_contacts(tenant=a.tenant, items=[{"external_id": "c-gone", "account": "acc-0"}]).created == 1
            raise RuntimeError("a later step of the same transaction failed")
        assert not Contact.objects.filter(external_id="c-gone").exists()
    assert enrolled == []


def test_a_failing_hook_is_logged_and_does_not_fail_the_committed_write(world_a, monkeypatch, committed, caplog):
    def broken(*, tenant, contact_ids):
        raise RuntimeError("learning is down")

    monkeypatch.setattr("learning.services.enroll_new_contacts", broken)
    with committed():
        response = post_json(world_a.api(), CONTACTS_BULK, [{"external_id": "c-1", "account": "acc-0"}])
    assert response.status_code == 200 and response.json()["created"] == 1
    assert pks(world_a, "c-1")
    assert "learning is down" in caplog.text


def test_a_contact_created_meanwhile_by_another_request_is_not_enrolled_by_this_one(world_a, enrolled, committed):
    """Between this batch's read and its insert, another request creates ``c-race``: this batch then
    updates it rather than counting and enrolling it as its own."""
    a = world_a
    raced = []

    def other_request_first(execute, sql, params, many, context):
        rows = execute(sql, params, many, context)
        if not raced and sql.startswith(f'SELECT "{Contact._meta.db_table}"."id"'):  # the batch's read of its rows
            raced.append(True)
            ContactFactory(tenant=a.tenant, account=a.accounts[0], external_id="c-race", name="Theirs")
        return rows

    items = [{"external_id": "c-race", "account": "acc-0", "name": "Ours"},
             {"external_id": "c-mine", "account": "acc-0"}]
    with committed(), a.scope(), connection.execute_wrapper(other_request_first):
        result = upsert_contacts(tenant=a.tenant, items=items)
    assert raced and (result.created, result.updated, result.rejected) == (1, 1, [])
    assert enrolled == [(a.tenant.pk, pks(a, "c-mine"))]
    with a.scope():
        assert Contact.objects.get(external_id="c-race").name == "Ours"


def test_create_contact_answers_the_holder_of_a_taken_external_id_or_email(world_a, enrolled, committed):
    a = world_a
    with committed(), a.scope():
        same_id = create_contact(tenant=a.tenant, account=a.accounts[0], external_id="user-0")
        same_email = create_contact(tenant=a.tenant, account=a.accounts[0], external_id="c-x",
                                    email="USER1@acme1.example.com")
        made = create_contact(tenant=a.tenant, account=a.accounts[0], external_id="c-y", email="Y@Example.com")
    assert (same_id.created, same_id.contact) == (False, a.contacts[0])
    assert (same_email.created, same_email.contact) == (False, a.contacts[1])
    assert made.created and made.contact.email == "y@example.com"
    assert enrolled == [(a.tenant.pk, [made.contact.pk])]


@pytest.fixture
def pair(world_a):
    """A kept contact with blanks (no email, phone or name) and a duplicate of it in the same account."""
    a = world_a
    with a.scope():
        kept = ContactFactory(tenant=a.tenant, account=a.accounts[0], external_id="c-kept", email="", name="")
        merged = a.contacts[3]
        merged.phone = "+1 555 010 4000"
        merged.save()
    return a, kept, merged


def test_support_merge_fills_and_deletes_through_the_accounts_service(pair, monkeypatch, enrolled, committed):
    a, kept, merged = pair
    through = []

    def spy(**kwargs):
        through.append((kwargs["kept"].pk, kwargs["merged"].pk))
        return contact_services.merge_contact_into(**kwargs)

    monkeypatch.setattr(identities, "merge_contact_into", spy)
    with committed(), a.scope():
        merge = merge_contacts(tenant=a.tenant, kept=kept, merged=merged)
        assert not Contact.objects.filter(pk=merged.pk).exists()
        kept.refresh_from_db()
    assert through == [(kept.pk, merged.pk)] and merge.merged_contact_deleted
    assert (kept.email, kept.phone, kept.name) == (merged.email, "+1 555 010 4000", merged.name)
    assert enrolled == []  # a merge creates nobody


def test_a_merged_contact_other_apps_point_at_is_kept_and_gives_up_its_email(pair, committed):
    a, kept, merged = pair
    with committed():
        assert post_events(a, [event("u1", contact=merged.external_id)]).json()["accepted"] == 1
    with a.scope():
        merge = merge_contacts(tenant=a.tenant, kept=kept, merged=merged)
        survivor = Contact.objects.get(pk=merged.pk)
        kept.refresh_from_db()
        assert ContactMerge.objects.get() == merge
    assert not merge.merged_contact_deleted
    assert survivor.email == "" and kept.email == merged.email
