"""Support report pages under ``/t/<tenant_slug>/support/reports/`` (support.report_views)."""

from django.urls import path

from support import report_views as views

urlpatterns = [
    path("agents/", views.agent_report, name="report-agents"),
    path("teams/", views.team_report, name="report-teams"),
    path("management/", views.management_report, name="report-management"),
]
