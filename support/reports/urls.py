"""Support report pages under ``/t/<tenant_slug>/support/reports/`` (support.reports.views)."""

from django.urls import path

from support.reports import api, views

urlpatterns = [
    path("agents/", views.agent_report, name="report-agents"),
    path("teams/", views.team_report, name="report-teams"),
    path("management/", views.management_report, name="report-management"),
]

api_urlpatterns = [
    path("reports/support", api.SupportReportView.as_view(), name="api-report-support"),
    path("support-costs", api.SupportCostView.as_view(), name="api-support-costs"),
]
