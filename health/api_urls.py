"""``/api/v1/`` routes of the health app."""

from django.urls import path

from health import api

urlpatterns = [
    path("events/bulk", api.EventBulkView.as_view(), name="api-event-bulk"),
]
