"""Support pages, mounted under ``/t/<tenant_slug>/support/`` by accounts/urls.py."""

from django.urls import path

from support import views_presence

urlpatterns = [
    path("presence/", views_presence.presence, name="agent-presence"),
]
