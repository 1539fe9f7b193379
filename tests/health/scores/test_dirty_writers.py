"""Every writer of a health score's inputs marks the accounts it touched (health.scores.dirty), in its own
transaction, with one statement whatever the number of accounts: the usage merge, tickets (create, update,
status, reopen, merge, SLA breaches), survey answers (API and public page), learning completions, and account
edits of the fields a score reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services.customers import save_account, upsert_accounts
from accounts.tenancy import tenant_scope
from health.scores.models import RecomputeDirty
from learning.models import Enrollment
from learning.progress import complete_path, complete_step
from learning.services import enroll
from support.models import SlaPolicy, Ticket
from support.records.data import StatusData, TicketData
from support.records.services.tickets import change_status, merge_tickets, upsert_ticket
from support.sla.services import check_sla
from surveys.services import record_responses
from tests.health.conftest import event, merge, post_events
from tests.learning.helpers import published_path
from tests.surveys.public.factory import make_link

pytestmark = pytest.mark.django_db


def marked(world) -> set[str]:
    """External ids of the marked accounts; the marks are cleared, so the next step starts from none."""
    with tenant_scope(world.tenant):
        found = set(RecomputeDirty.objects.values_list("account__external_id", flat=True))
        RecomputeDirty.objects.all().delete()
    return found


def test_the_usage_merge_marks_the_accounts_of_its_buckets_in_one_statement(world_a, world_b):
    response = post_events(world_a, [event("e1", account="acc-0"), event("e2", account="acc-2", contact="user-2"),
                                     event("e3", account="acc-0", name="other.event")])
    assert response.status_code in (200, 201, 202), response.content
    assert marked(world_a) == set()  # ingestion stays fast: the merge, in Celery, marks
    with CaptureQueriesContext(connection) as queries:
        merge(world_a)
    assert marked(world_a) == {"acc-0", "acc-2"}
    assert sum("health_recomputedirty" in q["sql"] for q in queries.captured_queries) == 1
    assert marked(world_b) == set()


def _ticket(world, external_id, account="acc-0", contact="user-0", **extra):
    with world.scope():
        return upsert_ticket(tenant=world.tenant, data=TicketData(
            external_id=external_id, account=account, contact=contact, channel="email", subject=external_id,
            **extra)).obj


def test_ticket_writes_mark_their_accounts(world_a):
    ticket = _ticket(world_a, "t1", priority="normal")
    assert marked(world_a) == {"acc-0"}
    _ticket(world_a, "t1", priority="normal")  # nothing changed: no mark
    assert marked(world_a) == set()
    _ticket(world_a, "t1", priority="urgent")
    assert marked(world_a) == {"acc-0"}
    _ticket(world_a, "t1", account="acc-1", contact="user-1")  # moved: both accounts' loads changed
    assert marked(world_a) == {"acc-0", "acc-1"}
    with world_a.scope():
        change_status(tenant=world_a.tenant, ticket=ticket, data=StatusData(status="resolved"))
    assert marked(world_a) == {"acc-1"}
    other = _ticket(world_a, "t2", account="acc-1", contact="user-1")
    marked(world_a)
    with world_a.scope():
        merge_tickets(tenant=world_a.tenant, source=other, into=Ticket.objects.get(pk=ticket.pk), by=None)
    assert marked(world_a) == {"acc-1"}


def test_an_sla_breach_marks_the_ticket_account(world_a):
    now = timezone.now()
    ticket = _ticket(world_a, "t1", account="acc-2", contact="user-2")
    with world_a.scope():
        policy = SlaPolicy.objects.create(tenant=world_a.tenant, name="1h", first_response_seconds=3600)
        Ticket.objects.filter(pk=ticket.pk).update(
            sla_policy=policy, first_response_due_at=now - dt.timedelta(minutes=1), status="open")
        marked(world_a)
        assert check_sla(tenant=world_a.tenant, now=now).breaches == 1
    assert marked(world_a) == {"acc-2"}
    with world_a.scope():
        assert check_sla(tenant=world_a.tenant, now=now).breaches == 0
    assert marked(world_a) == set()


def test_survey_answers_mark_their_accounts(world_a):
    with world_a.scope():
        result = record_responses(tenant=world_a.tenant, items=[
            {"survey": "nps", "contact": "user-1", "score": 9, "external_id": "r1"},
            {"survey": "nps", "contact": "user-2", "score": 3, "external_id": "r2"}])
    assert result.accepted == 2, result.as_dict()
    assert marked(world_a) == {"acc-1", "acc-2"}
    with world_a.scope():
        record_responses(tenant=world_a.tenant, items=[{"survey": "nps", "contact": "user-1", "score": 9,
                                                        "external_id": "r1"}])  # a duplicate: nothing changed
    assert marked(world_a) == set()
    link = make_link(world_a, kind="nps", contact=world_a.contacts[0])
    assert Client().post(link.url, {"score": "9", "comment": "", "followup_answer": ""}).status_code in (200, 302)
    assert marked(world_a) == {"acc-0"}


def test_learning_completions_mark_the_learners_accounts(world_a):
    with world_a.scope():
        path = published_path(world_a.tenant)
        enroll(tenant=world_a.tenant, contact_ids=[world_a.contacts[1].pk, world_a.contacts[2].pk])
        marked(world_a)
        enrollment = Enrollment.objects.get(contact=world_a.contacts[1], path=path)
        complete_step(tenant=world_a.tenant, enrollment=enrollment, step=path.current_version.steps.get())
    assert marked(world_a) == {"acc-1"}
    with world_a.scope():
        other = Enrollment.objects.get(contact=world_a.contacts[2], path=path)
        assert complete_path(tenant=world_a.tenant, enrollment=other, completed_at=timezone.now())
        assert not complete_path(tenant=world_a.tenant, enrollment=other, completed_at=timezone.now())
    assert marked(world_a) == {"acc-2"}


def test_account_edits_of_score_inputs_mark_the_accounts_and_other_edits_do_not(world_a):
    with world_a.scope():
        result = upsert_accounts(tenant=world_a.tenant, items=[
            {"external_id": "acc-0", "name": "Acme 0", "seats": 77},
            {"external_id": "acc-1", "name": "Renamed only"},
            {"external_id": "acc-2", "name": "Acme 2", "renewal_date": "2027-01-31"},
            {"external_id": "acc-new", "name": "Brand new"}])
    assert result.accepted == 4, result.as_dict()
    assert marked(world_a) == {"acc-0", "acc-2", "acc-new"}  # a new account gets a first score soon
    with world_a.scope():
        account = type(world_a.accounts[0]).objects.get(pk=world_a.accounts[1].pk)
        account.name = "Only a name"
        save_account(tenant=world_a.tenant, account=account)
        assert marked(world_a) == set()
        account.lifecycle_stage = "adoption"
        save_account(tenant=world_a.tenant, account=account)
    assert marked(world_a) == {"acc-1"}
