"""Scorecard pages under ``/t/<tenant_slug>/health/scorecards/`` (included from health.urls). Object-id
kwargs are ``<model>_pk`` so the isolation suite tries each from another tenant."""

from django.urls import path

from health.scores.cards import views

urlpatterns = [
    path("health/scorecards/", views.scorecard_list, name="scorecard-list"),
    path("health/scorecards/new/", views.scorecard_create, name="scorecard-create"),
    path("health/scorecards/<int:scorecard_pk>/", views.scorecard_detail, name="scorecard-detail"),
    path("health/scorecards/<int:scorecard_pk>/edit/", views.scorecard_edit, name="scorecard-edit"),
    path("health/scorecards/<int:scorecard_pk>/recompute/", views.scorecard_recompute, name="scorecard-recompute"),
]
