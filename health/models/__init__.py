"""The health app's models, imported from its sub-domain packages so the app label and tables stay put."""

from health.alerts.models import AlertRule, HealthAlert, Playbook, PlaybookRun, PlaybookRunStep, PlaybookStep
from health.scores.models import HealthOverride, HealthScore, RecomputeDirty, Scorecard, ScorecardVersion
from health.usage.models import CatalogEntry, UsageDaily, UsageEvent, UsageEventKey, UsagePending

__all__ = ["AlertRule", "CatalogEntry", "HealthAlert", "HealthOverride", "HealthScore", "Playbook", "PlaybookRun",
           "PlaybookRunStep", "PlaybookStep", "RecomputeDirty", "Scorecard", "ScorecardVersion", "UsageDaily",
           "UsageEvent", "UsageEventKey", "UsagePending"]
