"""Records: agent presence and team pages (under ``/t/<tenant_slug>/support/``), and the API routes of
agents, agent sessions and tickets (API.md). Object-id kwargs are ``<model>_pk`` / ``<model>_external_id``
so the isolation suite tries each from another tenant."""

from django.urls import path

from support.records import api, views

urlpatterns = [
    path("presence/", views.presence, name="agent-presence"),
    path("teams/", views.teams, name="team-list"),
    path("teams/new/", views.team_create, name="team-create"),
    path("teams/<int:team_pk>/edit/", views.team_edit, name="team-edit"),
    path("teams/<int:team_pk>/delete/", views.team_delete, name="team-delete"),
]

api_urlpatterns = [
    path("agents/bulk", api.AgentBulkView.as_view(), name="api-agent-bulk"),
    path("agent-sessions/bulk", api.AgentSessionBulkView.as_view(), name="api-agent-session-bulk"),
    path("tickets", api.TicketListView.as_view(), name="api-ticket-list"),
    path("tickets/<str:ticket_external_id>", api.TicketDetailView.as_view(), name="api-ticket-detail"),
    path("tickets/<str:ticket_external_id>/interactions", api.TicketInteractionView.as_view(),
         name="api-ticket-interactions"),
    path("tickets/<str:ticket_external_id>/status", api.TicketStatusView.as_view(), name="api-ticket-status"),
    path("tickets/<str:ticket_external_id>/merge", api.TicketMergeView.as_view(), name="api-ticket-merge"),
]
