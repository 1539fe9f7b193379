"""The backtest's observations and its report (METRICS.md "Health", backtest).

One observation per uncensored renewal-or-churn event (accounts.subscriptions.selectors.renewal_events, until
now), scored as of the event's local day minus h with the scorecard's *current* version, from
health.scores.inputs.inputs_as_of: set-based, one call per distinct scoring day (never per account), so each
observation sees data up to the end of that day only. The inputs are read with every category of the tenant's
catalog, so the suggested-weights fit (health.scores.suggest) sees every candidate input.

Decisions: an observation whose account had no data for any component of the scorecard has no score; it is
counted (``unscored``) and left out of the AUC, the ROC and the bands. A component's AUC is over the
observations where that component had data (its n is shown). The scorecard is the given one or the default
one; a tenant without one is backtested with the default definition (nothing is written by a read).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Tenant
from accounts.subscriptions.selectors import renewal_events
from health.scores import backtest, suggest
from health.scores.components import COMPONENTS
from health.scores.compute import categories_of, compute, part_key
from health.scores.definitions import clean_definition, default_definition
from health.scores.inputs import AccountInputs, account_ids, inputs_as_of
from health.scores.models import Scorecard
from health.usage.selectors.catalog import catalog_entries

DEFAULT_HORIZON = 14
MAX_HORIZON = 365


@dataclass
class Observation:
    account_id: int
    event_day: dt.date
    churned: bool
    inputs: AccountInputs
    score: float | None = None
    band: str = ""
    points: dict[str, float | None] = field(default_factory=dict)  # by part key (compute.part_key)


@dataclass
class ComponentAuc:
    key: str  # the part key: the component, with ":category" for the feature-category one
    label: str
    result: backtest.AucResult


@dataclass
class BacktestReport:
    scorecard: Scorecard | None
    definition: dict
    horizon_days: int
    observations: list[Observation]
    scored: list[Observation]
    result: backtest.AucResult
    roc: list[tuple[float, float]]
    components: list[ComponentAuc]
    bands: list[backtest.BandRate]
    verdict: str
    note: str

    @property
    def unscored(self) -> int:
        return len(self.observations) - len(self.scored)


def default_scorecard(*, tenant: Tenant) -> Scorecard | None:
    return Scorecard.objects.filter(tenant=tenant, is_default=True, current_version__isnull=False) \
        .select_related("current_version").first()


def catalog_categories(*, tenant: Tenant) -> list[str]:
    """Every feature category of the tenant's catalog (each a candidate input of the fit)."""
    return sorted({e.category for e in catalog_entries(tenant=tenant) if e.category})


def observations(*, tenant: Tenant, horizon_days: int, categories: list[str], until: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[Observation]:
    """The events with their accounts' inputs as of event day - h: one inputs_as_of call per distinct day;
    ``progress(done, total)`` after each day (a job's bar)."""
    by_day: dict[dt.date, list] = defaultdict(list)
    for event in renewal_events(tenant=tenant, until=until or timezone.now()):
        by_day[event.day - dt.timedelta(days=horizon_days)].append(event)
    found = []
    for done, day in enumerate(sorted(by_day), start=1):
        events = by_day[day]
        inputs = inputs_as_of(tenant=tenant, day=day, account_ids=sorted({e.account_id for e in events}),
                              categories=categories)
        found.extend(Observation(account_id=e.account_id, event_day=e.day, churned=e.churned,
                                 inputs=inputs[e.account_id]) for e in events if e.account_id in inputs)
        if progress is not None:
            progress(done, len(by_day))
    return found


def _labels(definition: dict) -> dict[str, str]:
    return {part_key(c): COMPONENTS[c["key"]].label + (f" ({c['category']})" if c["category"] else "")
            for c in definition["components"]}


def score_observations(found: list[Observation], definition: dict) -> None:
    for obs in found:
        computed = compute(obs.inputs, definition)
        obs.score, obs.band = computed.score, computed.band
        obs.points = {part_key(row): row["points"] for row in computed.components}


def backtest_report(*, tenant: Tenant, scorecard: Scorecard | None, horizon_days: int = DEFAULT_HORIZON,
                    until: dt.datetime | None = None,
                    progress: Callable[[int, int], None] | None = None) -> BacktestReport:
    """Everything the page and the API show but the suggested weights (health.scores.suggest)."""
    card = scorecard or default_scorecard(tenant=tenant)
    definition = card.current_version.definition if card else default_definition()
    categories = sorted(set(catalog_categories(tenant=tenant)) | categories_of(definition))
    found = observations(tenant=tenant, horizon_days=horizon_days, categories=categories, until=until,
                         progress=progress)
    score_observations(found, definition)
    scored = [o for o in found if o.score is not None]
    pairs = [(o.score, o.churned) for o in scored]
    result = backtest.auc(pairs)
    labels = _labels(definition)
    components = [ComponentAuc(key, label, backtest.auc(
        [(o.points[key], o.churned) for o in found if o.points.get(key) is not None]))
        for key, label in labels.items()]
    verdict, note = backtest.verdict(result)
    return BacktestReport(scorecard=card, definition=definition, horizon_days=horizon_days, observations=found,
                          scored=scored, result=result, roc=backtest.roc_points(pairs), components=components,
                          bands=backtest.churn_by_band([(o.band, o.churned) for o in scored], definition["bands"]),
                          verdict=verdict, note=note)


@dataclass
class SuggestedPreview:
    suggestion: suggest.Suggestion
    current: backtest.AucResult  # the current scorecard on the very observations of the fit
    in_sample: backtest.AucResult | None  # the suggested definition, scored on the same observations
    accounts: int  # accounts scored today
    changing_band: int  # of them, how many the suggested definition would put in another band


def suggested_weights(*, tenant: Tenant, report: BacktestReport, today: dt.date) -> SuggestedPreview:
    """The fit on the report's scored observations, beside the current scorecard's AUC on the same ones, and
    how many accounts would change band today under the suggested definition (one inputs_as_of call)."""
    rows = report.scored
    categories = catalog_categories(tenant=tenant)
    fitted = suggest.suggest([o.inputs for o in rows], [o.churned for o in rows], [o.account_id for o in rows],
                             categories=categories, bands=report.definition["bands"])
    in_sample, accounts, changing = None, 0, 0
    if fitted.definition is not None:
        definition = clean_definition(fitted.definition)
        in_sample = backtest.auc([(s.score, o.churned) for o in rows
                                  if (s := compute(o.inputs, definition)).score is not None])
        wanted = sorted(set(categories) | categories_of(report.definition))
        now = inputs_as_of(tenant=tenant, day=today, account_ids=account_ids(tenant=tenant), categories=wanted)
        accounts = len(now)
        changing = sum(1 for inputs in now.values()
                       if compute(inputs, report.definition).band != compute(inputs, definition).band)
    return SuggestedPreview(fitted, report.result, in_sample, accounts, changing)
