"""The backtest's page (``urlpatterns``, under ``/t/<tenant_slug>/``) and API route (``api_urlpatterns``)."""

from django.urls import path

from health.scores.backtests import api, views

urlpatterns = [
    path("health/backtest/", views.backtest_page, name="health-backtest"),
    path("health/backtest/run/", views.backtest_run, name="health-backtest-run"),
]

api_urlpatterns = [
    path("health/backtest", api.BacktestView.as_view(), name="api-health-backtest"),
]
