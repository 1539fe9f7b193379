"""Pages of the health scores under ``/t/<tenant_slug>/`` (``urlpatterns``) and API routes under ``/api/v1/``
(``api_urlpatterns``, API.md). Object-id kwargs are ``<model>_pk`` / ``<model>_external_id`` so the isolation
suite tries each from another tenant."""

from django.urls import path

from health.scores import api, views
from health.scores.backtests import urls as backtest_urls

urlpatterns = [
    path("accounts/<int:account_pk>/health/", views.account_health, name="account-health"),
    path("accounts/<int:account_pk>/health/override/", views.account_health_override, name="account-health-override"),
    path("accounts/<int:account_pk>/health/override/remove/", views.account_health_override_remove,
         name="account-health-override-remove"),
    path("accounts/<int:account_pk>/health/recompute/", views.account_health_recompute,
         name="account-health-recompute"),
    path("accounts/<int:account_pk>/health/recompute/<int:job_pk>/", views.account_health_job,
         name="account-health-job"),
]

api_urlpatterns = [
    path("health/recompute", api.RecomputeView.as_view(), name="api-health-recompute"),
    path("accounts/<str:account_external_id>/health", api.AccountHealthView.as_view(), name="api-account-health"),
    path("accounts/<str:account_external_id>/health/history", api.AccountHealthHistoryView.as_view(),
         name="api-account-health-history"),
    *backtest_urls.api_urlpatterns,
]
