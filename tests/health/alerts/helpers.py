"""Shared set-up of the alert tests: stored score rows written directly (the rules read them, whatever
computed them), rules switched on one at a time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from health.alerts.models import AlertRule
from health.alerts.services import ensure_default_rules
from health.scores.models import HealthScore
from health.scores.services import ensure_default_scorecard

D = dt.date(2026, 3, 12)


def day(n: int) -> dt.date:
    """``D + n`` days."""
    return D + dt.timedelta(days=n)


def put_scores(tenant, account, scores: dict[dt.date, float]) -> None:
    """Score rows of ``account`` (band from the default scorecard's edges: red < 40 <= yellow < 70 <= green)."""
    version = ensure_default_scorecard(tenant=tenant).current_version
    for on, value in scores.items():
        band = "red" if value < 40 else "yellow" if value < 70 else "green"
        HealthScore.objects.update_or_create(tenant=tenant, account=account, day=on, defaults=dict(
            version=version, score=value, band=band, confidence=1.0, components=[], computed_at=timezone.now()))


def only_rule(tenant, kind: str, **params) -> AlertRule:
    """Keep one active rule (the default of ``kind``, with ``params`` merged in)."""
    ensure_default_rules(tenant=tenant)
    AlertRule.objects.filter(tenant=tenant).exclude(kind=kind).update(is_active=False)
    rule = AlertRule.objects.get(tenant=tenant, kind=kind)
    rule.params = {**rule.params, **params}
    rule.save()
    return rule
