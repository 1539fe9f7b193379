"""``/api/v1/`` routes. Object-id kwargs are named ``<model>_external_id`` / ``<model>_pk`` so the
isolation suite can try each from another tenant.

``.../bulk`` comes before ``.../<external_id>``, so an object whose external_id is literally "bulk"
cannot be read through the detail route; ``<str:...>`` also means external ids cannot hold "/".
"""

from django.urls import path

from accounts import api
from health import usage_api

urlpatterns = [
    path("accounts", api.AccountListView.as_view(), name="api-account-list"),
    path("accounts/bulk", api.AccountBulkView.as_view(), name="api-account-bulk"),
    path("accounts/<str:account_external_id>", api.AccountDetailView.as_view(), name="api-account-detail"),
    path("accounts/<str:account_external_id>/usage", usage_api.AccountUsageView.as_view(), name="api-account-usage"),
    path("contacts", api.ContactListView.as_view(), name="api-contact-list"),
    path("contacts/bulk", api.ContactBulkView.as_view(), name="api-contact-bulk"),
    path("contacts/<str:contact_external_id>", api.ContactDetailView.as_view(), name="api-contact-detail"),
    path("jobs/<int:job_pk>", api.JobDetailView.as_view(), name="api-job-detail"),
]
