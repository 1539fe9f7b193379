"""``/api/v1/`` routes of the support desk (API.md). Object-id kwargs are ``<model>_external_id`` so the
isolation suite tries each from another tenant."""

from django.urls import path

from support import api, report_api

urlpatterns = [
    path("agents/bulk", api.AgentBulkView.as_view(), name="api-agent-bulk"),
    path("agent-sessions/bulk", api.AgentSessionBulkView.as_view(), name="api-agent-session-bulk"),
    path("tickets", api.TicketListView.as_view(), name="api-ticket-list"),
    path("tickets/<str:ticket_external_id>", api.TicketDetailView.as_view(), name="api-ticket-detail"),
    path("tickets/<str:ticket_external_id>/interactions", api.TicketInteractionView.as_view(),
         name="api-ticket-interactions"),
    path("tickets/<str:ticket_external_id>/status", api.TicketStatusView.as_view(), name="api-ticket-status"),
    path("reports/support", report_api.SupportReportView.as_view(), name="api-report-support"),
    path("support-costs", report_api.SupportCostView.as_view(), name="api-support-costs"),
]
