"""The alert rules run where the scores are written: after each soon-after-changes batch (for the marked
accounts) and after the nightly recompute (for every account), so a cause opens its task without waiting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.worklist.models import CsmTask, SourceKind
from health.alerts.models import HealthAlert, RuleKind
from health.scores import tasks
from health.scores.dirty import mark_dirty
from health.scores.services import recompute_dirty
from surveys.models import SurveyResponse
from tests.health.alerts.helpers import only_rule
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db


def _detractors(world, *contacts) -> None:
    survey = make_survey(world)
    with world.scope():
        only_rule(world.tenant, RuleKind.DETRACTOR, days=7)
        for contact in contacts:
            SurveyResponse.objects.create(tenant=world.tenant, survey=survey, contact=contact, account=contact.account,
                                          score=2, submitted_at=timezone.now() - dt.timedelta(minutes=5))


def _alerted(world) -> set[int]:
    with world.scope():
        alerts = list(HealthAlert.objects.filter(tenant=world.tenant).values_list("account_id", "pk"))
        tasks_of = set(CsmTask.objects.filter(tenant=world.tenant, source_kind=SourceKind.HEALTH_ALERT)
                       .values_list("source_id", flat=True))
    assert {pk for _, pk in alerts} == tasks_of  # every alert opened its task
    return {account for account, _ in alerts}


def test_a_dirty_batch_evaluates_the_rules_for_the_accounts_it_recomputed(world_a):
    c0, c1 = world_a.contacts[0], world_a.contacts[1]
    assert c0.account_id != c1.account_id
    _detractors(world_a, c0, c1)
    with world_a.scope():
        mark_dirty(tenant=world_a.tenant, account_ids=[c0.account_id])  # only c0's account changed
        recompute_dirty(tenant=world_a.tenant)
    assert _alerted(world_a) == {c0.account_id}
    with world_a.scope():
        mark_dirty(tenant=world_a.tenant, account_ids=[c0.account_id])
        recompute_dirty(tenant=world_a.tenant)  # the same cause again: no second alert
    assert _alerted(world_a) == {c0.account_id}


def test_the_nightly_recompute_evaluates_the_rules_for_every_account(world_a, world_b):
    c0, c1 = world_a.contacts[0], world_a.contacts[1]
    _detractors(world_a, c0, c1)
    _detractors(world_b, world_b.contacts[0])
    tasks.recompute_health_nightly(world_a.tenant.pk)
    assert _alerted(world_a) == {c0.account_id, c1.account_id}
    assert _alerted(world_b) == set()  # the other tenant's night has not come yet
