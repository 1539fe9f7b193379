"""Re-targeting through every writer of contacts and accounts (accounts.services -> learning.services.
targeting_changed, after commit): a change of persona or knowledge level, or of an account's lifecycle stage,
tier or plan, enrolls the new matches and withdraws unstarted enrollments that no longer match."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import imports
from accounts.models import Contact, CustomerAccount, Job
from health.usage import tasks as usage_tasks
from learning.models import Enrollment, EnrollmentStatus
from learning.services import enroll
from tests.learning.helpers import published_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(usage_tasks.merge_usage_rollups, "apply_async", lambda *args, **kwargs: None)
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def calls(monkeypatch):
    """Records each call of the hook and runs the real re-evaluation."""
    from learning import services

    seen = []
    real = services.targeting_changed

    def spy(*, tenant, contact_ids):
        seen.append((tenant.pk, list(contact_ids)))
        return real(tenant=tenant, contact_ids=contact_ids)

    monkeypatch.setattr(services, "targeting_changed", spy)
    return seen


def statuses(world, contact) -> dict[str, str]:
    with world.scope():
        return dict(Enrollment.objects.filter(contact=contact).values_list("path__name", "status"))


def persona_paths(world):
    """Admins and users each have a path; user-0 starts as an admin, enrolled in the admin path."""
    with world.scope():
        published_path(world.tenant, "Admins", targeting={"personas": ["admin"]})
        published_path(world.tenant, "Users", targeting={"personas": ["user"]})
        published_path(world.tenant, "Experts", targeting={"knowledge_levels": ["expert"]})
        Contact.objects.filter(pk=world.contacts[0].pk).update(persona="admin", knowledge_level="beginner")
        enroll(tenant=world.tenant, contact_ids=[world.contacts[0].pk])
    assert statuses(world, world.contacts[0]) == {"Admins": "enrolled"}


def test_api_bulk_persona_change_enrolls_and_withdraws(world_a, calls, committed):
    persona_paths(world_a)
    body = [{"external_id": "user-0", "account": "acc-0", "persona": "user"},
            {"external_id": "user-1", "account": "acc-1", "name": "Only the name changes"}]
    with committed():
        response = world_a.api().post("/api/v1/contacts/bulk", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200 and response.json()["updated"] == 2
    assert calls == [(world_a.tenant.pk, [world_a.contacts[0].pk])]  # one call, only the contact re-targeted
    assert statuses(world_a, world_a.contacts[0]) == {"Admins": "withdrawn", "Users": "enrolled"}
    # The same batch again: duplicates, no call, nothing changes.
    with committed():
        world_a.api().post("/api/v1/contacts/bulk", data=json.dumps(body), content_type="application/json")
    assert len(calls) == 1
    # Back to admin: the withdrawn enrollment comes back (the same row), the users' one is withdrawn.
    with committed():
        world_a.api().post("/api/v1/contacts/bulk", data=json.dumps([{**body[0], "persona": "admin"}]),
                           content_type="application/json")
    assert statuses(world_a, world_a.contacts[0]) == {"Admins": "enrolled", "Users": "withdrawn"}
    with world_a.scope():
        assert Enrollment.objects.filter(contact=world_a.contacts[0]).count() == 2


def test_a_started_enrollment_is_not_withdrawn(world_a, calls, committed):
    persona_paths(world_a)
    with world_a.scope():
        Enrollment.objects.filter(contact=world_a.contacts[0]).update(status=EnrollmentStatus.STARTED)
    with committed():
        world_a.api().post("/api/v1/contacts/bulk", content_type="application/json", data=json.dumps(
            [{"external_id": "user-0", "account": "acc-0", "persona": "user"}]))
    assert statuses(world_a, world_a.contacts[0]) == {"Admins": "started", "Users": "enrolled"}


def test_csv_import_knowledge_level_change_enrolls(world_a, calls, committed):
    persona_paths(world_a)
    text = "external_id,account,knowledge_level\nuser-0,acc-0,expert\nuser-1,acc-1,beginner\n"
    with world_a.scope():
        Contact.objects.filter(pk=world_a.contacts[1].pk).update(knowledge_level="beginner")
        job = Job.objects.create(tenant=world_a.tenant, kind="import_contacts", total=2, input_text=text)
    with committed(), world_a.scope():
        imports.run_import(tenant=world_a.tenant, job=job, chunk_size=10)
    assert calls == [(world_a.tenant.pk, [world_a.contacts[0].pk])]
    assert statuses(world_a, world_a.contacts[0]) == {"Admins": "enrolled", "Experts": "enrolled"}


def test_contact_page_persona_change_reevaluates_and_other_edits_do_not(world_a, calls, committed):
    persona_paths(world_a)
    contact = world_a.contacts[0]
    client = world_a.client_for(world_a.csm)
    data = {"external_id": contact.external_id, "account": contact.account_id, "name": "Renamed",
            "email": contact.email, "phone": "", "persona": "admin", "knowledge_level": "beginner"}
    url = reverse("contact-edit", args=[world_a.tenant.slug, contact.pk])
    with committed():
        assert client.post(url, data).status_code == 302
    assert calls == []
    with committed():
        assert client.post(url, {**data, "persona": "user"}).status_code == 302
    assert calls == [(world_a.tenant.pk, [contact.pk])]
    assert statuses(world_a, contact) == {"Admins": "withdrawn", "Users": "enrolled"}


def stage_paths(world):
    with world.scope():
        published_path(world.tenant, "Onboarding", targeting={"lifecycle_stages": ["onboarding"]})
        published_path(world.tenant, "Premium", targeting={"tiers": ["premium"]})
        published_path(world.tenant, "Enterprise plan", targeting={"plans": ["enterprise"]})
        CustomerAccount.objects.filter(pk=world.accounts[0].pk).update(lifecycle_stage="onboarding",
                                                                       tier="standard", plan="team")
        enroll(tenant=world.tenant, contact_ids=[c.pk for c in world.contacts])
    # acc-0 holds user-0 and user-3
    return [world.contacts[0], world.contacts[3]]


def test_api_bulk_account_stage_change_reevaluates_all_its_contacts_in_one_call(world_a, calls, committed):
    members = stage_paths(world_a)
    assert statuses(world_a, members[0]) == {"Onboarding": "enrolled"}
    body = [{"external_id": "acc-0", "name": "Acme 0", "lifecycle_stage": "adoption", "tier": "premium"},
            {"external_id": "acc-1", "name": "Renamed only"}]
    with committed():
        response = world_a.api().post("/api/v1/accounts/bulk", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    assert calls == [(world_a.tenant.pk, sorted(c.pk for c in members))]
    for contact in members:
        assert statuses(world_a, contact) == {"Onboarding": "withdrawn", "Premium": "enrolled"}


def test_account_page_tier_change_reevaluates(world_a, calls, committed):
    members = stage_paths(world_a)
    account = world_a.accounts[0]
    data = {"external_id": account.external_id, "name": account.name, "domain": "", "plan": "team",
            "tier": "premium", "arr": "0", "seats": "", "contract_start": "", "renewal_date": "",
            "lifecycle_stage": "onboarding", "owner_csm": ""}
    with committed():
        response = world_a.client_for(world_a.admin).post(
            reverse("account-edit", args=[world_a.tenant.slug, account.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert calls == [(world_a.tenant.pk, sorted(c.pk for c in members))]
    assert statuses(world_a, members[0]) == {"Onboarding": "enrolled", "Premium": "enrolled"}


def test_account_csv_import_plan_change_reevaluates(world_a, calls, committed):
    members = stage_paths(world_a)
    text = "external_id,name,plan\nacc-0,Acme 0,enterprise\n"
    with world_a.scope():
        job = Job.objects.create(tenant=world_a.tenant, kind="import_accounts", total=1, input_text=text)
    with committed(), world_a.scope():
        imports.run_import(tenant=world_a.tenant, job=job, chunk_size=10)
    assert calls == [(world_a.tenant.pk, sorted(c.pk for c in members))]
    assert statuses(world_a, members[1]) == {"Onboarding": "enrolled", "Enterprise plan": "enrolled"}


def test_a_failing_reevaluation_is_logged_and_the_write_stands(world_a, monkeypatch, committed, caplog):
    from learning import services

    persona_paths(world_a)

    def broken(**kwargs):
        raise RuntimeError("learning is down")

    monkeypatch.setattr(services, "reevaluate", broken)
    with committed():
        response = world_a.api().post("/api/v1/contacts/bulk", content_type="application/json", data=json.dumps(
            [{"external_id": "user-0", "account": "acc-0", "persona": "user"}]))
    assert response.status_code == 200 and response.json()["updated"] == 1
    assert "re-evaluating 1 contacts" in caplog.text
    with world_a.scope():
        assert Contact.objects.get(pk=world_a.contacts[0].pk).persona == "user"
