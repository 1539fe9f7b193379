"""``GET /api/v1/health/backtest?horizon_days=14&scorecard=`` (API.md): thin, parse with
health.scores.backtests.params, read through its selectors, answer. Figures are floats, not rounded
(METRICS.md); an empty set is null."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import tenant_today
from cs_platform.api import schema as api_schema
from cs_platform.api.base import TenantAPIView
from health.scores.backtest import AucResult
from health.scores.backtests.params import BacktestParamError, backtest_query
from health.scores.backtests.selectors import BacktestReport, SuggestedPreview, backtest_report, suggested_weights


def auc_body(result: AucResult | None) -> dict | None:
    if result is None:
        return None
    return {"auc": result.auc, "auc_interval": list(result.interval) if result.interval else None,
            "observations": result.n, "churned": result.churned}


def suggested_body(preview: SuggestedPreview) -> dict:
    fitted = preview.suggestion
    return {
        "weights": [{"key": w.candidate.key, "category": w.candidate.category, "weight": w.weight,
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
        "observations": report.result.n, "churned": report.result.churned, "unscored": report.unscored,
        "auc": report.result.auc, "auc_interval": list(report.result.interval) if report.result.interval else None,
        "verdict": report.verdict, "note": report.note,
        "roc": [{"fpr": f, "tpr": t} for f, t in report.roc],
        "components": [{"key": c.key, "label": c.label, **auc_body(c.result)} for c in report.components],
        "bands": [{"band": b.band, "observations": b.observations, "churned": b.churned, "churn_rate": b.churn_rate}
                  for b in report.bands],
        "suggested": suggested_body(preview),
    }


class BacktestView(TenantAPIView):
    @extend_schema(
        summary="How well a scorecard's score predicted renewals and churns (the backtest)",
        description=("One observation per renewal or churn of the tenant's subscription periods (METRICS.md "
                     "\"Retention\"; ends within a day of now are censored), scored as of the event's local day "
                     "minus `horizon_days` (1-365, default 14) with the scorecard's current version (`scorecard`: "
                     "an id; default: the default scorecard). `auc`: P(a churned observation scored lower than a "
                     "renewed one), ties 1/2; `auc_interval`: DeLong 95%; `verdict`: predictive, inverted or weak "
                     "(fewer than 10 churns or renewals, or an interval spanning 0.5) with a `note`. `suggested`: "
                     "a regularized logistic fit of churn on every candidate input, with its account-grouped "
                     "cross-validated `auc` beside `current_auc` on the same observations."),
        parameters=[OpenApiParameter("horizon_days", OpenApiTypes.INT),
                    OpenApiParameter("scorecard", OpenApiTypes.INT)],
        responses={200: OpenApiTypes.OBJECT, 400: api_schema.error("a bad parameter; `field` names it"),
                   **api_schema.DETAIL_ERRORS},
    )
    def get(self, request: Request) -> Response:
        try:
            query = backtest_query(request.query_params, tenant=self.tenant)
        except BacktestParamError as error:
            raise exceptions.ValidationError({error.field: [str(error)]}) from None
        report = backtest_report(tenant=self.tenant, scorecard=query.scorecard, horizon_days=query.horizon_days)
        preview = suggested_weights(tenant=self.tenant, report=report, today=tenant_today(self.tenant))
        return Response(report_body(report, preview))
