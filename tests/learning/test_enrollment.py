"""Enrollment: the set-based pass, idempotency, prerequisites, re-evaluation and withdrawal, and the
accounts service's new-contact hook."""

from __future__ import annotations

import pytest

from accounts.models import Contact
from accounts.services.contacts import upsert_contacts
from learning import services
from learning.models import Enrollment, EnrollmentStatus
from learning.paths.services import PathData, save_path, unpublish
from learning.services import enroll, enroll_new_contacts, reevaluate
from tests.factories import ContactFactory
from tests.learning.helpers import published_path


def statuses(path) -> dict[str, str]:
    return dict(Enrollment.objects.filter(path=path).values_list("contact__external_id", "status"))


def test_enroll_is_set_based_idempotent_and_targeted(world_a, django_assert_max_num_queries):
    tenant = world_a.tenant
    with world_a.scope():
        admins = published_path(tenant, "Admins", targeting={"personas": ["admin"]})
        everyone = published_path(tenant, "Everyone")
        premium = published_path(tenant, "Premium", targeting={"tiers": ["premium"]})
        account = world_a.accounts[1]  # premium
        contacts = [ContactFactory(tenant=tenant, account=account, external_id=f"bulk-{i}",
                                   persona="admin" if i % 2 else "end_user") for i in range(40)]
        ids = [c.pk for c in contacts]
        # The number of queries does not grow with the contacts: no query per contact.
        with django_assert_max_num_queries(8):
            assert enroll(tenant=tenant, contact_ids=ids) == 20 + 40 + 40
        assert enroll(tenant=tenant, contact_ids=ids) == 0  # a rerun changes nothing
        assert Enrollment.objects.count() == 100
        assert Enrollment.objects.filter(path=admins).count() == 20
        assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.ENROLLED}
        pinned = Enrollment.objects.filter(path=everyone).values_list("version_id", flat=True).distinct()
        assert list(pinned) == [everyone.current_version_id]
        assert Enrollment.objects.filter(path=premium).count() == 40


def test_unpublished_and_drafts_enroll_nobody(world_a):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        save_path(tenant=tenant, path=None, data=PathData(name="Draft only"))
        gone = published_path(tenant, "Gone")
        unpublish(tenant=tenant, path=gone)
        assert enroll(tenant=tenant, contact_ids=[contact.pk]) == 0


def test_a_path_waits_for_its_prerequisites(world_a):
    tenant, contact = world_a.tenant, world_a.contacts[0]
    with world_a.scope():
        basics = published_path(tenant, "Basics")
        advanced = published_path(tenant, "Advanced", prerequisites=[basics])
        assert enroll(tenant=tenant, contact_ids=[contact.pk]) == 1
        assert statuses(advanced) == {}
        Enrollment.objects.filter(path=basics).update(status=EnrollmentStatus.COMPLETED)
        assert reevaluate(tenant=tenant, contact_ids=[contact.pk])["enrolled"] == 1
        assert statuses(advanced) == {contact.external_id: "enrolled"}


def test_reevaluation_enrolls_withdraws_and_never_duplicates(world_a):
    tenant = world_a.tenant
    c0, c1, c2 = world_a.contacts[:3]
    with world_a.scope():
        Contact.objects.filter(pk__in=[c0.pk, c1.pk, c2.pk]).update(persona="admin")
        admins = published_path(tenant, "Admins", targeting={"personas": ["admin"]})
        enroll(tenant=tenant, contact_ids=[c0.pk, c1.pk, c2.pk])
        Enrollment.objects.filter(path=admins, contact=c1).update(status=EnrollmentStatus.STARTED)
        # Everyone stops being an admin; c2 is back as admin later.
        Contact.objects.filter(pk__in=[c0.pk, c1.pk, c2.pk]).update(persona="end_user")
        ids = [c0.pk, c1.pk, c2.pk]
        assert reevaluate(tenant=tenant, contact_ids=ids) == {"enrolled": 0, "withdrawn": 2, "reenrolled": 0}
        # A started learner keeps the path; the ones who had not started are withdrawn.
        assert statuses(admins) == {c0.external_id: "withdrawn", c1.external_id: "started",
                                    c2.external_id: "withdrawn"}
        assert reevaluate(tenant=tenant, contact_ids=ids) == {"enrolled": 0, "withdrawn": 0, "reenrolled": 0}

        Contact.objects.filter(pk=c2.pk).update(persona="Admin")
        assert reevaluate(tenant=tenant, contact_ids=ids) == {"enrolled": 0, "withdrawn": 0, "reenrolled": 1}
        assert statuses(admins)[c2.external_id] == "enrolled"
        assert Enrollment.objects.filter(path=admins, contact=c2).count() == 1
        # A stage change of the account re-targets too.
        stage_path = published_path(tenant, "Renewal prep", targeting={"lifecycle_stages": ["renewal"]})
        c0.account.lifecycle_stage = "renewal"
        c0.account.save()
        assert reevaluate(tenant=tenant, contact_ids=[c0.pk])["enrolled"] == 1
        assert statuses(stage_path) == {c0.external_id: "enrolled"}
        assert reevaluate(tenant=tenant, contact_ids=[c0.pk])["enrolled"] == 0


def test_enrollment_stays_in_its_tenant(worlds):
    a, b = worlds
    with a.scope():
        published_path(a.tenant, "A's path")
    with b.scope():
        # B's contacts have A-like ids and names; handing A's contact ids to B's scope enrolls nothing.
        assert enroll(tenant=b.tenant, contact_ids=[c.pk for c in a.contacts]) == 0
        assert enroll(tenant=b.tenant, contact_ids=[c.pk for c in b.contacts]) == 0
    with a.scope():
        assert enroll(tenant=a.tenant, contact_ids=[c.pk for c in a.contacts]) == 4


def test_contacts_created_by_the_accounts_service_are_enrolled(world_a, django_capture_on_commit_callbacks):
    tenant = world_a.tenant
    with world_a.scope():
        path = published_path(tenant, "Admins", targeting={"personas": ["admin"]})
        items = [{"external_id": f"new-{i}", "account": "acc-0", "persona": "admin" if i < 3 else "end_user"}
                 for i in range(5)]
        with django_capture_on_commit_callbacks(execute=True):
            result = upsert_contacts(tenant=tenant, items=items)
        assert result.created == 5, result
        assert sorted(statuses(path)) == ["new-0", "new-1", "new-2"]
        # The same import again updates, creates nothing, enrolls nobody twice.
        with django_capture_on_commit_callbacks(execute=True):
            upsert_contacts(tenant=tenant, items=items)
        assert Enrollment.objects.filter(path=path).count() == 3


def test_the_hook_never_fails_the_contact_write(world_a, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "enroll", broken)
    with world_a.scope():
        assert enroll_new_contacts(tenant=world_a.tenant, contact_ids=[world_a.contacts[0].pk]) == 0
    assert "enrolling 1 new contacts" in caplog.text


@pytest.mark.parametrize("ids", [[], [10**12]])
def test_nothing_to_enroll(world_a, ids):
    with world_a.scope():
        published_path(world_a.tenant, "Everyone")
        assert enroll(tenant=world_a.tenant, contact_ids=ids) == 0
        assert reevaluate(tenant=world_a.tenant, contact_ids=ids)["enrolled"] == 0


def test_enroll_counts_exactly_the_rows_it_inserted(world_a, monkeypatch):
    """Two passes within the same instant (a clock that does not move between them, as two batches of a fast
    import may see): the second answers only its own new enrollment. Counting rows of this ``enrolled_at``
    afterwards, as enroll once did, answered 2 here."""
    import datetime as dt

    tenant = world_a.tenant
    instant = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    monkeypatch.setattr(services.timezone, "now", lambda: instant)
    with world_a.scope():
        everyone = published_path(tenant, "Everyone")
        first, second = world_a.contacts[0], world_a.contacts[1]
        assert enroll(tenant=tenant, contact_ids=[first.pk]) == 1
        assert enroll(tenant=tenant, contact_ids=[first.pk, second.pk]) == 1
        assert enroll(tenant=tenant, contact_ids=[first.pk, second.pk]) == 0
        assert statuses(everyone) == {first.external_id: "enrolled", second.external_id: "enrolled"}
        assert set(Enrollment.objects.values_list("enrolled_at", flat=True)) == {instant}
