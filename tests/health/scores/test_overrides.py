"""CSM overrides (health.scores.overrides): bounded input named by field and nothing written, a band of the
account's scorecard, a new override replacing the one in force in the same transaction, removal (and a stale
removal refused), expiry by itself before the sweep, the sweep and its task, the override in force at a past
instant, and the audit trail (who, when, what, why, how it ended). The computed score rows never change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from health.scores import selectors
from health.scores.models import HealthOverride, HealthScore, OverrideEnd
from health.scores.overrides import OverrideError, end_expired_overrides, remove_override, set_override
from health.scores.services import recompute
from health.scores.tasks import end_expired_overrides_all_tenants, end_expired_overrides_of_tenant

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _set(world, account=None, **kwargs):
    values = {"score": 35.0, "reason": "Champion left; renewal at risk", "expires_at": timezone.now() + 7 * DAY,
              "by": world.csm.user} | kwargs
    return set_override(tenant=world.tenant, account=account or world.accounts[0], **values)


def _rows(world):
    return list(HealthOverride.objects.filter(tenant=world.tenant).order_by("pk")
                .values("account_id", "score", "band", "ended_at", "end_reason", "ended_by_id"))


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"score": 100.5}, "score"), ({"score": -1}, "score"), ({"score": float("nan")}, "score"),
    ({"score": True}, "score"), ({"score": None}, "score"), ({"score": None, "band": "purple"}, "band"),
    ({"reason": "   "}, "reason"), ({"reason": "x" * 1001}, "reason"),
    ({"expires_at": timezone.now() - DAY}, "expires_at"), ({"expires_at": timezone.now() + 366 * DAY}, "expires_at"),
    ({"expires_at": dt.datetime(2030, 1, 1)}, "expires_at"), ({"expires_at": "2030-01-01"}, "expires_at"),
])
def test_bad_input_names_the_field_and_writes_nothing(world_a, kwargs, field):
    with world_a.scope():
        first = _set(world_a)
        before = _rows(world_a)
        with pytest.raises(OverrideError) as raised:
            _set(world_a, **kwargs)
        assert raised.value.field == field
        assert _rows(world_a) == before and selectors.open_override(tenant=world_a.tenant,
                                                                     account=world_a.accounts[0]) == first


def test_a_band_of_the_scorecard_and_a_reason_kept_trimmed(world_a):
    with world_a.scope():
        recompute(tenant=world_a.tenant, days=[dt.date(2026, 3, 1)])  # creates the default scorecard
        found = _set(world_a, score=None, band="red", reason="  Budget cut announced \n")
        assert (found.score, found.band, found.reason) == (None, "red", "Budget cut announced")
        assert selectors.bands_for_account(tenant=world_a.tenant, account=world_a.accounts[0]) == {
            "red": 0.0, "yellow": 40.0, "green": 70.0}


def test_a_new_override_replaces_the_one_in_force_and_the_score_rows_stay(world_a):
    with world_a.scope():
        recompute(tenant=world_a.tenant, days=[dt.date(2026, 3, 1)])
        scores_before = list(HealthScore.objects.filter(tenant=world_a.tenant).values())
        first = _set(world_a, score=20.0)
        second = _set(world_a, score=None, band="green", by=world_a.admin.user)
        first.refresh_from_db()
        assert first.end_reason == OverrideEnd.REPLACED and first.ended_by == world_a.admin.user
        assert first.ended_at == second.created_at
        now = timezone.now()
        assert selectors.override_in_force(tenant=world_a.tenant, account=world_a.accounts[0], at=now) == second
        assert list(HealthScore.objects.filter(tenant=world_a.tenant).values()) == scores_before
        history = selectors.override_history(tenant=world_a.tenant, account=world_a.accounts[0])
        assert [o.pk for o in history] == [second.pk, first.pk]
        assert history[1].created_by == world_a.csm.user and history[1].reason == "Champion left; renewal at risk"


def test_remove_ends_it_by_whom_and_a_stale_removal_is_refused(world_a):
    with world_a.scope():
        first = _set(world_a)
        second = _set(world_a, score=50.0)
        with pytest.raises(OverrideError) as raised:  # the page still showed the first one
            remove_override(tenant=world_a.tenant, account=world_a.accounts[0], override_id=first.pk,
                            by=world_a.admin.user)
        assert raised.value.field == "override"
        with pytest.raises(OverrideError):  # another account's id
            remove_override(tenant=world_a.tenant, account=world_a.accounts[1], override_id=second.pk,
                            by=world_a.admin.user)
        removed = remove_override(tenant=world_a.tenant, account=world_a.accounts[0], override_id=second.pk,
                                  by=world_a.admin.user)
        assert (removed.end_reason, removed.ended_by) == (OverrideEnd.REMOVED, world_a.admin.user)
        assert selectors.override_in_force(tenant=world_a.tenant, account=world_a.accounts[0],
                                           at=timezone.now()) is None


def _expire(override, when):
    """Move an override's life into the past (the constraint wants expiry after creation)."""
    HealthOverride.objects.filter(pk=override.pk).update(created_at=when - 2 * DAY, expires_at=when)


def test_an_expired_override_ends_by_itself_before_the_sweep_and_the_sweep_writes_its_expiry(world_a):
    with world_a.scope():
        account = world_a.accounts[0]
        gone = _set(world_a)
        expiry = timezone.now() - dt.timedelta(minutes=5)
        _expire(gone, expiry)
        assert selectors.override_in_force(tenant=world_a.tenant, account=account, at=timezone.now()) is None
        assert selectors.override_in_force(tenant=world_a.tenant, account=account,
                                           at=expiry - DAY).pk == gone.pk  # in force at a past instant
        assert end_expired_overrides(tenant=world_a.tenant) == 1
        assert end_expired_overrides(tenant=world_a.tenant) == 0
        gone.refresh_from_db()
        assert (gone.end_reason, gone.ended_at, gone.ended_by) == (OverrideEnd.EXPIRED, expiry, None)
        assert selectors.override_in_force(tenant=world_a.tenant, account=account, at=expiry - DAY).pk == gone.pk


def test_a_new_override_over_an_expired_open_one_records_the_expiry_not_a_replacement(world_a):
    with world_a.scope():
        old = _set(world_a)
        expiry = timezone.now() - DAY
        _expire(old, expiry)
        _set(world_a, score=80.0)
        old.refresh_from_db()
        assert (old.end_reason, old.ended_at, old.ended_by) == (OverrideEnd.EXPIRED, expiry, None)


def test_removing_one_past_its_expiry_records_that_it_expired(world_a):
    with world_a.scope():
        old = _set(world_a)
        _expire(old, timezone.now() - DAY)
        ended = remove_override(tenant=world_a.tenant, account=world_a.accounts[0], override_id=old.pk,
                                by=world_a.admin.user)
        assert (ended.end_reason, ended.ended_by) == (OverrideEnd.EXPIRED, None)


def test_the_sweep_task_ends_only_its_tenants_expired_overrides(world_a, world_b, monkeypatch):
    with world_a.scope():
        a_old = _set(world_a)
        _expire(a_old, timezone.now() - DAY)
        a_live = _set(world_a, account=world_a.accounts[1])
    with world_b.scope():
        b_old = _set(world_b)
        _expire(b_old, timezone.now() - DAY)
    assert end_expired_overrides_of_tenant(world_a.tenant.pk) == 1
    with world_a.scope():
        assert HealthOverride.objects.get(pk=a_live.pk).ended_at is None
        assert HealthOverride.objects.get(pk=a_old.pk).end_reason == OverrideEnd.EXPIRED
    with world_b.scope():
        assert HealthOverride.objects.get(pk=b_old.pk).ended_at is None
    sent = []
    monkeypatch.setattr(end_expired_overrides_of_tenant, "delay", lambda *args: sent.append(args))
    assert end_expired_overrides_all_tenants() == 2
    assert sorted(sent) == sorted([(world_a.tenant.pk,), (world_b.tenant.pk,)])
