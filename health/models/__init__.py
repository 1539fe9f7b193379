"""The health app's models, imported from its sub-domain packages so the app label and tables stay put."""

from health.scores.models import HealthScore, Scorecard, ScorecardVersion
from health.usage.models import CatalogEntry, UsageDaily, UsageEvent, UsageEventKey, UsagePending

__all__ = ["CatalogEntry", "HealthScore", "Scorecard", "ScorecardVersion", "UsageDaily", "UsageEvent",
           "UsageEventKey", "UsagePending"]
