"""Pages of the survey triggers under ``/t/<tenant_slug>/surveys/`` (included from surveys.urls).
Object-id kwargs are ``<model>_pk`` so the isolation suite tries each from another tenant."""

from django.urls import path

from surveys.triggers import views

urlpatterns = [
    path("surveys/tickets/<int:ticket_pk>/csat/", views.ticket_csat, name="ticket-csat"),
    path("surveys/campaigns/", views.campaign_list, name="campaign-list"),
    path("surveys/campaigns/new/", views.campaign_create, name="campaign-create"),
    path("surveys/campaigns/<int:campaign_pk>/", views.campaign_detail, name="campaign-detail"),
    path("surveys/campaigns/<int:campaign_pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("surveys/campaigns/<int:campaign_pk>/start/", views.campaign_start, name="campaign-start"),
    path("surveys/campaigns/<int:campaign_pk>/pause/", views.campaign_pause, name="campaign-pause"),
]
