"""Usage pages (``urlpatterns``, under ``/t/<tenant_slug>/``) and API routes (``api_urlpatterns``, under
``/api/v1/``). Object-id kwargs follow the isolation suite's naming (``<model>_pk``, ``<model>_external_id``)."""

from django.urls import path

from health.usage import api, views

urlpatterns = [
    path("accounts/<int:account_pk>/usage/", views.account_usage, name="account-usage"),
    path("usage/first-90-days/", views.first_90_days, name="first-90-days"),
    path("usage/catalog/", views.catalog, name="catalog"),
    path("usage/catalog/add/", views.catalog_add, name="catalog-add"),
    path("usage/catalog/<int:catalogentry_pk>/edit/", views.catalog_edit, name="catalog-edit"),
    path("usage/catalog/<int:catalogentry_pk>/delete/", views.catalog_delete, name="catalog-delete"),
]

api_urlpatterns = [
    path("accounts/<str:account_external_id>/usage", api.AccountUsageView.as_view(), name="api-account-usage"),
    path("events/bulk", api.EventBulkView.as_view(), name="api-event-bulk"),
]
