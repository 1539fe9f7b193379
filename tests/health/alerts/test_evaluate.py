"""evaluate_rules(): each rule kind on a fixture (a hit and a near miss), the cause key per episode (re-run,
next day, a new episode), the task each new alert opens, and queries that do not grow with the accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LifecycleStage
from accounts.worklist.models import CsmTask, SourceKind
from health.alerts.models import HealthAlert, RuleKind
from health.alerts.services import ensure_default_rules, evaluate_rules
from health.alerts.tasks import evaluate_alerts
from health.usage.models import UsageDaily
from learning.models import Enrollment, EnrollmentStatus
from surveys.models import SurveyResponse
from tests.factories import AccountFactory, ContactFactory
from tests.health.alerts.helpers import D, day, only_rule, put_scores
from tests.learning.helpers import published_path
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db


def alerts(tenant) -> list[tuple]:
    return sorted(HealthAlert.objects.filter(tenant=tenant).values_list("account__external_id", "kind", "cause_key"))


def test_score_drop_hits_a_drop_of_x_in_y_days_and_not_one_point_less(world_a):
    tenant, (a0, a1, a2) = world_a.tenant, world_a.accounts
    with world_a.scope():
        rule = only_rule(tenant, RuleKind.SCORE_DROP, points=14, days=7)
        put_scores(tenant, a0, {day(-7): 71, D: 57})  # -14: a hit
        put_scores(tenant, a1, {day(-7): 71, D: 58})  # -13: a near miss
        put_scores(tenant, a2, {day(-6): 90, D: 10})  # nothing 7 days before: no evidence of a drop in 7 days
        summary = evaluate_rules(tenant=tenant, day=D)
        assert summary == {"rules": 1, "hits": 1, "alerts": 1, "tasks": 1, "playbook_runs": 0}
        alert = HealthAlert.objects.get(tenant=tenant)
        assert (alert.account, alert.kind, alert.cause_key, alert.day, alert.rule) == (
            a0, RuleKind.SCORE_DROP, f"drop:{D}", D, rule)
        task = CsmTask.objects.get(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT, source_id=alert.pk)
        assert task.title == "Health dropped 14 points in 7 days (71 -> 57)"
        assert (task.account, task.assignee, task.due_on) == (a0, world_a.csm.user, D + dt.timedelta(days=3))
        assert "Rule: Health drops 15 points in 7 days" in task.detail
        assert task.changes.count() == 1


def test_a_drop_that_lasts_is_one_episode_and_a_new_drop_after_recovery_is_another(world_a):
    tenant, a0 = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        only_rule(tenant, RuleKind.SCORE_DROP, points=10, days=2)
        put_scores(tenant, a0, {day(0): 80, day(1): 80, day(2): 65, day(3): 60, day(4): 60, day(5): 75,
                                day(6): 70, day(7): 58})
        for d in (2, 2, 3, 4):  # -15 on day 2, -20 on day 3 (the same run), -5 on day 4 (over)
            evaluate_rules(tenant=tenant, day=day(d))
        assert alerts(tenant) == [("acc-0", "score_drop", f"drop:{day(2)}")]
        evaluate_rules(tenant=tenant, day=day(7))  # 75 -> 58 after day 5's recovery: a new episode
        assert alerts(tenant) == [("acc-0", "score_drop", f"drop:{day(2)}"), ("acc-0", "score_drop", f"drop:{day(7)}")]
        assert CsmTask.objects.filter(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT).count() == 2


def test_turns_red_once_per_red_episode(world_a):
    tenant, (a0, a1, _a2) = world_a.tenant, world_a.accounts
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED)
        put_scores(tenant, a0, {day(0): 50, day(1): 30, day(2): 35, day(3): 45, day(5): 20})
        put_scores(tenant, a1, {day(1): 40})  # the edge: 40 is yellow
        evaluate_rules(tenant=tenant, day=day(1))
        evaluate_rules(tenant=tenant, day=day(2))  # still red: the same episode
        assert alerts(tenant) == [("acc-0", "turns_red", f"red:{day(1)}")]
        evaluate_rules(tenant=tenant, day=day(5))  # red again after the yellow day 3 (day 4 has no row)
        assert alerts(tenant)[-1] == ("acc-0", "turns_red", f"red:{day(5)}")
        assert CsmTask.objects.get(source_kind=SourceKind.HEALTH_ALERT, title__contains="(20)").title == \
            "Health turned red (20)"


def test_turns_red_with_a_named_band(world_a):
    tenant, a0 = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED, band="yellow")
        put_scores(tenant, a0, {D: 50})
        evaluate_rules(tenant=tenant, day=D)
        assert alerts(tenant) == [("acc-0", "turns_red", f"red:{D}")]


def test_renewal_at_risk_within_n_days_while_not_the_top_band(world_a):
    tenant, (a0, a1, a2) = world_a.tenant, world_a.accounts
    with world_a.scope():
        only_rule(tenant, RuleKind.RENEWAL_AT_RISK, days=30)
        for account, renewal, score in ((a0, day(30), 60), (a1, day(40), 60), (a2, day(10), 80)):
            account.renewal_date = renewal
            account.save()
            put_scores(tenant, account, {D: score, day(1): score})
        evaluate_rules(tenant=tenant, day=D)
        evaluate_rules(tenant=tenant, day=day(1))  # the same renewal: nothing new
        assert alerts(tenant) == [("acc-0", "renewal_at_risk", f"renewal:{day(30)}")]
        assert HealthAlert.objects.get(tenant=tenant).title == f"Renewal on {day(30)} (30 days) while yellow (60)"


def test_detractor_per_answer_in_the_last_n_days(world_a):
    tenant, (c0, c1, c2, _c3) = world_a.tenant, world_a.contacts
    survey = make_survey(world_a)
    with world_a.scope():
        only_rule(tenant, RuleKind.DETRACTOR, days=7)
        noon = dt.datetime(2026, 3, 12, 20, 0, tzinfo=dt.UTC)  # 12:00 in Los Angeles
        answers = [(c0, 6, noon), (c1, 7, noon), (c2, 3, noon - dt.timedelta(days=7))]  # hit, passive, too old
        ids = [SurveyResponse.objects.create(tenant=tenant, survey=survey, contact=c, account=c.account, score=s,
                                             submitted_at=at, comment="Too slow").pk for c, s, at in answers]
        evaluate_rules(tenant=tenant, day=D)
        evaluate_rules(tenant=tenant, day=D)
        assert alerts(tenant) == [("acc-0", "detractor", f"response:{ids[0]}")]
        task = CsmTask.objects.get(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT)
        assert task.title == f"Detractor: NPS 6 on {D}"
        assert "Too slow" in task.detail


def _usage(tenant, account, contact, days: list[dt.date]) -> None:
    for on in days:
        UsageDaily.objects.create(tenant=tenant, account=account, contact=contact, day=on, event_name="report.viewed",
                                  count=3)


def test_usage_stops_after_activity_once_per_stop(world_a):
    tenant, (a0, a1, a2) = world_a.tenant, world_a.accounts
    c0, c1 = world_a.contacts[0], world_a.contacts[1]
    with world_a.scope():
        only_rule(tenant, RuleKind.USAGE_STOPS, days=14)
        _usage(tenant, a0, c0, [day(-14)])  # last event 14 days before D: quiet for the 14 days ending D
        _usage(tenant, a1, c1, [day(-13)])  # 13 days ago: within the window, a near miss
        evaluate_rules(tenant=tenant, day=D)
        evaluate_rules(tenant=tenant, day=D)
        assert alerts(tenant) == [("acc-0", "usage_stops", f"stopped:{day(-14)}")]  # a2: never active, no stop
        _usage(tenant, a0, c0, [day(2)])  # back, then quiet again: a new stop
        evaluate_rules(tenant=tenant, day=day(16))
        assert ("acc-0", "usage_stops", f"stopped:{day(2)}") in alerts(tenant)
        assert not HealthAlert.objects.filter(account=a2).exists()


def _trained(tenant, contact, path) -> None:
    Enrollment.objects.create(tenant=tenant, contact=contact, path=path, version=path.current_version,
                              status=EnrollmentStatus.COMPLETED, enrolled_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
                              completed_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))


def test_first_90_days_seat_gap_and_untrained_users(world_a):
    tenant = world_a.tenant
    with world_a.scope():
        only_rule(tenant, RuleKind.FIRST_90_DAYS, utilization_below=0.3, untrained_share_above=0.5, grace_days=14)
        gap = AccountFactory(tenant=tenant, external_id="gap", seats=10, contract_start=day(-20), owner_csm=None)
        fine = AccountFactory(tenant=tenant, external_id="fine", seats=10, contract_start=day(-20))
        early = AccountFactory(tenant=tenant, external_id="early", seats=10, contract_start=day(-13))
        late = AccountFactory(tenant=tenant, external_id="late", seats=10, contract_start=day(-90))
        for account, active in ((gap, 2), (fine, 3), (early, 0), (late, 0)):
            people = [ContactFactory(tenant=tenant, account=account) for _ in range(active)]
            for person in people:
                _usage(tenant, account, person, [day(-1)])
        path = published_path(tenant)
        for person in fine.contacts.all()[:2]:  # 1 of 3 active untrained: 33% <= 50%
            _trained(tenant, person, path)
        evaluate_rules(tenant=tenant, day=D, account_ids=[gap.pk, fine.pk, early.pk, late.pk])
        # gap: 2 / 10 seats < 30%, and 2 of 2 active untrained; fine: 30% and 33%; early: in its grace days;
        # late: day 91.
        assert alerts(tenant) == [("gap", "first_90_days", f"first90:{day(-20)}")]
        task = CsmTask.objects.get(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT)
        assert task.assignee is None  # an account without a CSM: nobody yet
        assert task.title.startswith("First 90 days at risk: seat gap (license utilization 20% < 30%")
        assert "untrained users (100% of active users untrained > 50%)" in task.title


def test_no_trained_admin_after_the_grace_days(world_a):
    tenant, (_a0, a1, a2) = world_a.tenant, world_a.accounts
    with world_a.scope():
        only_rule(tenant, RuleKind.NO_TRAINED_ADMIN, grace_days=30)
        admin = ContactFactory(tenant=tenant, account=a1, persona="Admin")
        path = published_path(tenant)
        _trained(tenant, admin, path)
        a2.contract_start = day(-29)  # within its grace days
        a2.save()
        churned = AccountFactory(tenant=tenant, external_id="gone", lifecycle_stage=LifecycleStage.CHURNED)
        evaluate_rules(tenant=tenant, day=D)
        evaluate_rules(tenant=tenant, day=D)
        assert alerts(tenant) == [("acc-0", "no_trained_admin", "admin:2026-01-01")]
        evaluate_rules(tenant=tenant, day=day(1))  # acc-2's 30 grace days are over; acc-0 is the same cause
        assert alerts(tenant) == [("acc-0", "no_trained_admin", "admin:2026-01-01"),
                                  ("acc-2", "no_trained_admin", f"admin:{day(-29)}")]
        assert not HealthAlert.objects.filter(account=churned).exists()


def test_the_task_runs_the_service_and_a_rerun_raises_nothing(world_a):
    tenant, a0 = world_a.tenant, world_a.accounts[0]
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED)
        put_scores(tenant, a0, {D: 10})
    assert evaluate_alerts(tenant.pk, D.isoformat())["alerts"] == 1
    assert evaluate_alerts(tenant.pk, D.isoformat())["alerts"] == 0
    with world_a.scope():
        assert CsmTask.objects.filter(source_kind=SourceKind.HEALTH_ALERT).count() == 1


def test_only_the_given_accounts_are_evaluated(world_a):
    tenant, (a0, a1, _a2) = world_a.tenant, world_a.accounts
    with world_a.scope():
        only_rule(tenant, RuleKind.TURNS_RED)
        put_scores(tenant, a0, {D: 10})
        put_scores(tenant, a1, {D: 10})
        evaluate_rules(tenant=tenant, day=D, account_ids=[a1.pk])
        assert alerts(tenant) == [("acc-1", "turns_red", f"red:{D}")]


def test_queries_per_evaluation_do_not_grow_with_the_accounts(world_a):
    tenant = world_a.tenant

    def count() -> int:
        HealthAlert.objects.all().delete()
        CsmTask.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            summary = evaluate_rules(tenant=tenant, day=D)
        assert summary["alerts"] == summary["hits"] > 0
        return len(queries)

    with world_a.scope():
        ensure_default_rules(tenant=tenant)
        for account in world_a.accounts:
            put_scores(tenant, account, {day(-7): 90, D: 10})
        few = count()
        for i in range(12):
            account = AccountFactory(tenant=tenant, external_id=f"more-{i}", owner_csm=world_a.csm.user)
            put_scores(tenant, account, {day(-7): 90, D: 10})
        many = count()
    assert many == few
    assert many <= 60
