"""Routes of learning: pages under ``/t/<tenant_slug>/learning/``. Object-id kwargs are ``<model>_pk`` so the
isolation suite tries each from another tenant."""

from django.urls import path

from learning.emails import views as email_views
from learning.tickets import views as ticket_views

urlpatterns = [
    path("learning/settings/", email_views.learning_settings, name="learning-settings"),
    path("learning/tickets/<int:ticket_pk>/paths/", ticket_views.ticket_paths, name="ticket-learning-paths"),
]
