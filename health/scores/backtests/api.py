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
from health.scores.backtests.answer import backtest_body
from health.scores.backtests.params import BacktestParamError, backtest_query


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
        return Response(backtest_body(tenant=self.tenant, scorecard=query.scorecard, horizon_days=query.horizon_days,
                                      today=tenant_today(self.tenant)))
