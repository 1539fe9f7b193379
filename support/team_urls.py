"""Support team pages under ``/t/<tenant_slug>/support/teams/`` (support.team_views)."""

from django.urls import path

from support import team_views as views

urlpatterns = [
    path("", views.teams, name="team-list"),
    path("new/", views.team_create, name="team-create"),
    path("<int:team_pk>/edit/", views.team_edit, name="team-edit"),
    path("<int:team_pk>/delete/", views.team_delete, name="team-delete"),
]
