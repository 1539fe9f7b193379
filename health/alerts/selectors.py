"""Reads of the health alerts: the stored score rows the rules look at (a fixed number of queries per rule,
never one per account), the rules, the alerts and the playbooks the pages list."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Count, QuerySet

from accounts.models import Tenant
from accounts.worklist.models import SourceKind
from accounts.worklist.selectors import sourced_tasks
from health.alerts.models import AlertRule, HealthAlert, Playbook, PlaybookRun, PlaybookStep, RuleKind
from health.scores.models import HealthScore, ScorecardVersion

LOOKBACK_DAYS = 90  # how far back an episode's start is looked for (older starts count from here)
ALERTS_PAGE = 100
ACCOUNT_ALERTS = 20


def _scores(tenant: Tenant, account_ids: Sequence[int] | None) -> QuerySet:
    rows = HealthScore.objects.filter(tenant=tenant, score__isnull=False)
    return rows if account_ids is None else rows.filter(account_id__in=list(account_ids))


def scores_on(*, tenant: Tenant, day: dt.date, account_ids: Sequence[int] | None = None,
              renewal_between: tuple[dt.date, dt.date] | None = None) -> list[dict]:
    """The day's score rows (``account_id``, ``score``, ``band``, ``version_id``, ``renewal_date``) of the
    accounts with a score, optionally only those whose renewal date falls in the given days. One query."""
    rows = _scores(tenant, account_ids).filter(day=day)
    if renewal_between is not None:
        rows = rows.filter(account__renewal_date__gte=renewal_between[0], account__renewal_date__lte=renewal_between[1])
    return list(rows.values("account_id", "score", "band", "version_id", "account__renewal_date"))


def score_series(*, tenant: Tenant, account_ids: Iterable[int], start: dt.date,
                 end: dt.date) -> dict[int, dict[dt.date, dict]]:
    """Per account, its rows from ``start`` to ``end`` by day (``score``, ``band``, ``version_id``). One query."""
    ids = list(account_ids)
    series: dict[int, dict[dt.date, dict]] = defaultdict(dict)
    if not ids:
        return series
    for row in _scores(tenant, ids).filter(day__gte=start, day__lte=end).values(
            "account_id", "day", "score", "band", "version_id"):
        series[row["account_id"]][row["day"]] = row
    return series


def version_bands(*, tenant: Tenant, version_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """The bands (name -> lower edge) of each scorecard version. One query (none for no ids)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = ScorecardVersion.objects.filter(tenant=tenant, pk__in=ids).values_list("pk", "definition")
    return {pk: dict(definition.get("bands", {})) for pk, definition in rows}


def lowest_band(bands: dict[str, float]) -> str:
    return min(bands.items(), key=lambda kv: kv[1])[0] if bands else ""


def top_band(bands: dict[str, float]) -> str:
    return max(bands.items(), key=lambda kv: kv[1])[0] if bands else ""


# --- the pages --------------------------------------------------------------------------------------


def rule_list(*, tenant: Tenant) -> list[AlertRule]:
    """The tenant's rules with their playbook and how many alerts each raised. One query."""
    return list(AlertRule.objects.filter(tenant=tenant).select_related("playbook")
                .annotate(alert_count=Count("alerts")).order_by("kind", "name", "pk"))


def active_rules(*, tenant: Tenant) -> list[AlertRule]:
    return list(AlertRule.objects.filter(tenant=tenant, is_active=True).select_related("playbook").order_by("pk"))


def has_rules(*, tenant: Tenant) -> bool:
    return AlertRule.objects.filter(tenant=tenant).exists()


def recent_alerts(*, tenant: Tenant, kind: str = "", account_ids: Sequence[int] | None = None,
                  limit: int = ALERTS_PAGE) -> list[HealthAlert]:
    """The newest alerts (optionally of one kind, or of some accounts), with account and rule. One query."""
    rows = HealthAlert.objects.filter(tenant=tenant).select_related("account", "rule")
    if kind:
        rows = rows.filter(kind=kind)
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    return list(rows.order_by("-raised_at", "-pk")[:limit])


def alert_counts_by_kind(*, tenant: Tenant) -> dict[str, int]:
    rows = HealthAlert.objects.filter(tenant=tenant).values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    counts = dict(rows)
    return {kind: counts.get(kind, 0) for kind in RuleKind.values}


def playbook_list(*, tenant: Tenant) -> list[Playbook]:
    """Playbooks with ``step_count`` and ``run_count``. One query."""
    return list(Playbook.objects.filter(tenant=tenant)
                .annotate(step_count=Count("steps", distinct=True), run_count=Count("runs", distinct=True))
                .order_by("name", "pk"))


def active_playbooks(*, tenant: Tenant) -> QuerySet:
    return Playbook.objects.filter(tenant=tenant, is_active=True).order_by("name", "pk")


def playbook_choices(*, tenant: Tenant) -> QuerySet:
    return Playbook.objects.filter(tenant=tenant).order_by("name", "pk")


def playbook_steps(*, tenant: Tenant, playbook: Playbook) -> list[PlaybookStep]:
    return list(PlaybookStep.objects.filter(tenant=tenant, playbook=playbook).order_by("position"))


def playbook_runs(*, tenant: Tenant, playbook: Playbook | None = None, account_ids: Sequence[int] | None = None,
                  limit: int = 20) -> list[PlaybookRun]:
    """Newest runs (of a playbook, or of some accounts) with account, playbook and starter. One query."""
    rows = PlaybookRun.objects.filter(tenant=tenant).select_related("account", "playbook", "started_by", "alert")
    if playbook is not None:
        rows = rows.filter(playbook=playbook)
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    return list(rows.order_by("-started_at", "-pk")[:limit])


def run_for_alert(*, tenant: Tenant, alert: HealthAlert) -> PlaybookRun | None:
    return PlaybookRun.objects.filter(tenant=tenant, alert=alert).first()


def alert_task_ids(*, tenant: Tenant, alert_ids: Iterable[int]) -> dict[int, int]:
    """{alert id: task id} of the tasks these alerts opened (a deleted task is absent). One query."""
    ids = list(alert_ids)
    if not ids:
        return {}
    return dict(sourced_tasks(tenant=tenant, source_kind=SourceKind.HEALTH_ALERT).filter(source_id__in=ids)
                .values_list("source_id", "pk"))
