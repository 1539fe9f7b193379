"""Two evaluations of the same day at once raise each cause once: the second one's insert waits on the
first one's uncommitted alert (the unique index), then skips it and opens no second task."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from accounts.tenancy import tenant_scope
from accounts.worklist.models import CsmTask, SourceKind
from health.alerts.models import HealthAlert, RuleKind
from health.alerts.services import evaluate_rules
from tests.health.alerts.helpers import D, only_rule, put_scores


@pytest.mark.django_db(transaction=True)
def test_two_evaluations_at_once_raise_one_alert_and_one_task(world_a):
    tenant = world_a.tenant
    with tenant_scope(tenant):
        only_rule(tenant, RuleKind.TURNS_RED)
        put_scores(tenant, world_a.accounts[0], {D: 10})
    first_inserted, release = threading.Event(), threading.Event()
    results: dict[str, dict] = {}

    def first():
        try:
            with tenant_scope(tenant), transaction.atomic():
                results["first"] = evaluate_rules(tenant=tenant, day=D)
                first_inserted.set()
                release.wait(timeout=30)  # commit only after the second one is blocked on the same cause
        finally:
            first_inserted.set()
            connection.close()

    def second():
        try:
            first_inserted.wait(timeout=30)
            with tenant_scope(tenant):
                results["second"] = evaluate_rules(tenant=tenant, day=D)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_inserted.wait(timeout=30)
    threads[1].join(timeout=1.5)
    assert threads[1].is_alive()  # waiting on the first one's row
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert (results["first"]["alerts"], results["second"]["alerts"]) == (1, 0)
    assert (results["first"]["tasks"], results["second"]["tasks"]) == (1, 0)
    with tenant_scope(tenant):
        assert HealthAlert.objects.count() == 1
        assert CsmTask.objects.filter(source_kind=SourceKind.HEALTH_ALERT).count() == 1
