"""API routes of learning under ``/api/v1/`` (``api_urlpatterns``, API.md). Object-id kwargs are
``<model>_external_id`` so the isolation suite tries each from another tenant."""

from django.urls import path

from learning.external import api

api_urlpatterns = [
    path("learning/paths", api.PathListView.as_view(), name="api-learning-paths"),
    path("learning/completions", api.CompletionView.as_view(), name="api-learning-completions"),
    path("contacts/<str:contact_external_id>/enrollments", api.ContactEnrollmentListView.as_view(),
         name="api-contact-enrollments"),
]
