"""Deleting a tenant removes everything it owns and nothing of any other tenant.

Foreign keys that guard against deleting a row still in use (a calendar used by a policy, a rubric
with reviews) are RESTRICT, not PROTECT: PROTECT would refuse even when the tenant takes both away.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.db.models.deletion import RestrictedError

from accounts.services.tenants import delete_tenants
from accounts.tenancy import TenantOwnedModel, all_tenants
from support.models import BusinessCalendar, QaCriterion, QaReview, QaRubric, QaScore, SlaPolicy, SupportCost, Team
from surveys.services import record_responses
from tests.support.desk_helpers import build_agents, make_ticket


def _rows_of(tenant_id: int) -> dict[str, int]:
    with all_tenants("test: every row a tenant owns"):
        return {
            model._meta.label: model.objects.unscoped().filter(tenant_id=tenant_id).count()
            for model in apps.get_models() if issubclass(model, TenantOwnedModel)
        }


def _fill_support(world) -> None:
    with world.scope():
        agents = build_agents(world.tenant)
        agent = agents["ana"]
        calendar = BusinessCalendar.objects.create(name="Office", weekly_hours={"0": [["09:00", "17:00"]]})
        SlaPolicy.objects.create(name="Premium", tier="premium", first_response_seconds=3600, calendar=calendar)
        team = Team.objects.create(name="Costly")
        SupportCost.objects.create(month=dt.date(2026, 1, 1), team=team, amount=Decimal("100"))
        rubric = QaRubric.objects.create(name="Default")
        criterion = QaCriterion.objects.create(rubric=rubric, name="Tone")
        ticket = make_ticket(world.tenant, "T-del")
        review = QaReview.objects.create(ticket=ticket, agent=agent, rubric=rubric, state="submitted", score=80)
        QaScore.objects.create(review=review, criterion=criterion, score=4)
        # A survey with a response (RESTRICT: the survey goes only with its responses, as with the tenant).
        answered = record_responses(tenant=world.tenant, items=[{
            "survey": "csat", "contact": world.contacts[0].external_id, "score": 5, "ticket": "T-del",
            "external_id": "del-1"}])
        assert answered.accepted == 1, answered.as_dict()
        # A published learning path with an enrollment (RESTRICT: the version goes with its enrollments).
        from learning.services import enroll
        from tests.learning.helpers import published_path

        published_path(world.tenant)
        assert enroll(tenant=world.tenant, contact_ids=[c.pk for c in world.contacts]) >= 1
        # The default scorecard with a score (RESTRICT: the version goes with its scores).
        from django.utils import timezone

        from health.scores.models import HealthScore
        from health.scores.services import ensure_default_scorecard

        version = ensure_default_scorecard(tenant=world.tenant).current_version
        HealthScore.objects.create(account=world.accounts[0], day="2026-11-30", version=version, score=50,
                                   band="yellow", confidence=1, computed_at=timezone.now())


def test_deleting_a_tenant_removes_all_its_rows_and_leaves_the_other_alone(worlds):
    a, b = worlds
    _fill_support(a)
    _fill_support(b)
    b_before = _rows_of(b.tenant.pk)
    delete_tenants(pks=[a.tenant.pk])
    assert not any(_rows_of(a.tenant.pk).values())
    assert _rows_of(b.tenant.pk) == b_before


def test_a_calendar_still_used_by_a_policy_cannot_be_deleted_alone(worlds):
    a, _ = worlds
    _fill_support(a)
    with a.scope():
        calendar = BusinessCalendar.objects.get(name="Office")
        try:
            calendar.delete()
        except RestrictedError:
            pass
        else:
            raise AssertionError("a calendar used by a policy was deleted")
        assert SlaPolicy.objects.get(name="Premium").calendar_id == calendar.pk
