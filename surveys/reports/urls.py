"""Survey result pages under ``/t/<tenant_slug>/surveys/`` and the report's API route (included by surveys.urls)."""

from django.urls import path

from surveys.reports import api, views

urlpatterns = [
    path("surveys/reports/", views.survey_report_page, name="survey-report"),
    path("surveys/comments/", views.comment_list, name="survey-comments"),
    path("surveys/non-responders/", views.non_responders, name="survey-non-responders"),
]

api_urlpatterns = [
    path("reports/surveys", api.SurveyReportView.as_view(), name="api-report-surveys"),
]
