"""Pages of one tenant, mounted under ``/t/<tenant_slug>/``.

URL kwargs that carry an object id are named ``<model>_pk`` / ``<model>_external_id``: the isolation
suite (tests/isolation) maps each name to its model and tries it from another tenant.
"""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.account_list, name="tenant-home"),
    path("accounts/", views.account_list, name="account-list"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("settings/api-keys/", views.apikey_list, name="apikey-list"),
]
