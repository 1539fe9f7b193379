"""API routes of the health scores under ``/api/v1/`` (``api_urlpatterns``, API.md). Object-id kwargs are
``<model>_external_id`` so the isolation suite tries each from another tenant."""

from django.urls import path

from health.scores import api
from health.scores.backtests import urls as backtest_urls

api_urlpatterns = [
    path("health/recompute", api.RecomputeView.as_view(), name="api-health-recompute"),
    path("accounts/<str:account_external_id>/health", api.AccountHealthView.as_view(), name="api-account-health"),
    path("accounts/<str:account_external_id>/health/history", api.AccountHealthHistoryView.as_view(),
         name="api-account-health-history"),
    *backtest_urls.api_urlpatterns,
]
