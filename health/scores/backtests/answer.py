"""The backtest as the JSON body the API answers and a backtest job stores (health.scores.backtests.jobs), so
that the page (which shows the latest job's) and the API say the same. Floats are not rounded (METRICS.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from accounts.models import Tenant
from health.scores.backtest import AucResult
from health.scores.backtests.selectors import BacktestReport, SuggestedPreview, backtest_report, suggested_weights
from health.scores.models import Scorecard


def auc_body(result: AucResult | None) -> dict | None:
    if result is None:
        return None
    return {"auc": result.auc, "auc_interval": list(result.interval) if result.interval else None,
            "observations": result.n, "churned": result.churned}


def suggested_body(preview: SuggestedPreview) -> dict:
    fitted = preview.suggestion
    return {
        "weights": [{"key": w.candidate.key, "category": w.candidate.category, "label": w.candidate.label,
                     "weight": w.weight,
                     "direction": w.direction, "coefficient": w.coefficient, "low": w.low, "high": w.high}
                    for w in fitted.weights],
        "coefficients": fitted.coefficients, "dropped": fitted.dropped,
        "auc": fitted.cv.auc if fitted.cv else None,
        "auc_interval": list(fitted.cv.interval) if fitted.cv and fitted.cv.interval else None,
        "folds": fitted.folds, "current_auc": preview.current.auc,
        "in_sample_auc": preview.in_sample.auc if preview.in_sample else None,
        "definition": fitted.definition, "accounts": preview.accounts, "accounts_changing_band": preview.changing_band,
        "note": fitted.note,
    }


def report_body(report: BacktestReport, preview: SuggestedPreview) -> dict:
    card = report.scorecard
    return {
        "scorecard": {"id": card.pk, "name": card.name, "version": card.current_version.number} if card else None,
        "horizon_days": report.horizon_days,
        "observations": report.result.n, "churned": report.result.churned, "renewed": report.result.renewed,
        "unscored": report.unscored,
        "auc": report.result.auc, "auc_interval": list(report.result.interval) if report.result.interval else None,
        "verdict": report.verdict, "note": report.note,
        "roc": [{"fpr": f, "tpr": t} for f, t in report.roc],
        "components": [{"key": c.key, "label": c.label, **auc_body(c.result)} for c in report.components],
        "bands": [{"band": b.band, "observations": b.observations, "churned": b.churned, "churn_rate": b.churn_rate}
                  for b in report.bands],
        "suggested": suggested_body(preview),
    }


def backtest_body(*, tenant: Tenant, scorecard: Scorecard | None, horizon_days: int, today: dt.date,
                  progress: Callable[[int, int], None] | None = None) -> dict:
    """The whole backtest with its suggested weights, as the API's body."""
    report = backtest_report(tenant=tenant, scorecard=scorecard, horizon_days=horizon_days, progress=progress)
    return report_body(report, suggested_weights(tenant=tenant, report=report, today=today))
