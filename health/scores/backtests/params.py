"""Parsing of the backtest's query (API and page alike): ``horizon_days`` 1-365 (default 14) and
``scorecard`` (a scorecard id; default: the default scorecard). A bad value is a 400 naming it; a scorecard
id of another tenant is a 404, exactly as a missing one (health.scores.backtests.access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.models import Tenant
from cs_platform.bounds import INT8_MAX, whole_number
from health.scores.backtests.access import get_scorecard_for_tenant
from health.scores.backtests.selectors import DEFAULT_HORIZON, MAX_HORIZON
from health.scores.models import Scorecard


class BacktestParamError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BacktestQuery:
    horizon_days: int
    scorecard: Scorecard | None


def backtest_query(params: Any, *, tenant: Tenant) -> BacktestQuery:
    raw_horizon = params.get("horizon_days") or ""
    horizon = whole_number(raw_horizon, low=1, high=MAX_HORIZON) if raw_horizon else DEFAULT_HORIZON
    if horizon is None:
        raise BacktestParamError(f"a whole number of days from 1 to {MAX_HORIZON}", "horizon_days")
    raw_card = params.get("scorecard") or ""
    if not raw_card:
        return BacktestQuery(horizon, None)
    pk = whole_number(raw_card, low=1, high=INT8_MAX)
    if pk is None:
        raise BacktestParamError("a scorecard id", "scorecard")
    return BacktestQuery(horizon, get_scorecard_for_tenant(tenant, pk=pk))
