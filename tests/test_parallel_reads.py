"""cs_platform.parallel_reads: side by side on other connections outside a transaction, serially on the
caller's connection inside one; and the support report gives the same figures either way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from cs_platform.parallel_reads import run_reads


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_jobs_use_other_connections(settings):
    settings.READ_THREADS = 2
    mine = backend_pid()
    pids = run_reads({"a": backend_pid, "b": backend_pid, "c": backend_pid})
    assert set(pids) == {"a", "b", "c"}
    assert mine not in pids.values()
    with transaction.atomic():
        inside = run_reads({"a": backend_pid, "b": backend_pid})
    assert set(inside.values()) == {backend_pid()}


@pytest.mark.django_db(transaction=True)
def test_one_thread_means_serial_on_the_callers_connection(settings):
    settings.READ_THREADS = 1
    assert set(run_reads({"a": backend_pid, "b": backend_pid}).values()) == {backend_pid()}


@pytest.mark.django_db(transaction=True)
def test_support_report_is_the_same_in_parallel(settings, world_a):
    from support.models import SupportCost
    from support.reports.selectors import support_report, team_months, ytd_by_month
    from tests.support.conftest import add, make_ticket

    a = world_a
    with a.scope():
        for n in range(6):
            ticket = make_ticket(a.tenant, f"P{n}", channel=("email", "chat")[n % 2],
                                 created_at=dt.datetime(2025, 1 + n, 3, 12, tzinfo=dt.UTC))
            add(a.tenant, ticket, f"p{n}", started_at=dt.datetime(2025, 1 + n, 3, 12, 5, tzinfo=dt.UTC))
        # A cost entry: counted from the month rows by month, from a count of its own in longer periods.
        SupportCost.objects.create(tenant=a.tenant, month=dt.date(2025, 2, 1), amount=100, currency="USD")
        args = {"tenant": a.tenant, "date_from": dt.date(2025, 1, 1), "date_to": dt.date(2025, 7, 1)}
        now = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
        results = {}
        for threads in (1, 2):
            settings.READ_THREADS = threads
            results[threads] = ([support_report(**args, group_by=g, now=now)
                                 for g in ("none", "month", "channel", "agent", "team")],
                                ytd_by_month(tenant=a.tenant, today=dt.date(2025, 6, 15), now=now),
                                team_months(**args, now=now))
        assert results[1] == results[2]
        assert results[2][0][1]["rows"][0]["interactions"] == 1  # the fixture is seen: one per month
        assert results[2][0][0]["rows"][0]["cost_per_interaction"] == 100.0  # February: 100 / 1


@pytest.mark.django_db(transaction=True)
def test_orm_reads_in_parallel_jobs_run_in_the_callers_tenant_scope(settings, world_a, world_b):
    """A job's ORM read on a pool thread is scoped to the caller's tenant (it would raise outside a
    scope), on another connection, and the thread keeps no tenant for its next job."""
    from accounts.models import CustomerAccount
    from accounts.tenancy import TenantScopeError

    settings.READ_THREADS = 2

    def names() -> set[int]:  # ids: the two worlds' accounts have the same names and external ids
        return set(CustomerAccount.objects.values_list("pk", flat=True))

    with world_a.scope():
        mine = backend_pid()
        expected = names()
        out = run_reads({"a": names, "b": names, "pid_a": backend_pid, "pid_b": backend_pid})
    with world_b.scope():
        theirs = names()
    assert expected and out["a"] == out["b"] == expected
    assert theirs and not expected & theirs  # a leak of B's rows into A's answer would show
    assert mine not in (out["pid_a"], out["pid_b"])  # the jobs did run on the pool's connections
    with world_b.scope():
        assert run_reads({"a": names, "b": names}) == {"a": theirs, "b": theirs}
    # Outside any scope the pool threads have none either: the scoped manager raises there too.
    with pytest.raises(TenantScopeError):
        run_reads({"a": names, "b": names})
