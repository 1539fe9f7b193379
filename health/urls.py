"""Usage pages, mounted under ``/t/<tenant_slug>/`` by accounts/urls.py. Object-id kwargs follow the
isolation suite's naming (``<model>_pk``)."""

from django.urls import path

from health import views

urlpatterns = [
    path("accounts/<int:account_pk>/usage/", views.account_usage, name="account-usage"),
    path("usage/first-90-days/", views.first_90_days, name="first-90-days"),
    path("usage/catalog/", views.catalog, name="catalog"),
    path("usage/catalog/add/", views.catalog_add, name="catalog-add"),
    path("usage/catalog/<int:catalogentry_pk>/edit/", views.catalog_edit, name="catalog-edit"),
    path("usage/catalog/<int:catalogentry_pk>/delete/", views.catalog_delete, name="catalog-delete"),
]
