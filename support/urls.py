"""Routes of the support app, one ``urls`` module per sub-domain package. Pages are mounted under
``/t/<tenant_slug>/`` (``urlpatterns``); API routes under ``/api/v1/`` (``api_urlpatterns``, API.md)."""

from django.urls import include, path

from support.desk import urls as desk_urls
from support.records import urls as records_urls
from support.reports import urls as reports_urls

urlpatterns = [
    path("support/", include("support.records.urls")),  # agent presence, teams
    path("support/", include("support.desk.urls")),  # inbox, ticket page, macros, callbacks, merges
    path("support/qa/", include("support.qa.urls")),  # QA peer reviews: rubrics, queue, reviews, calibration
    path("support/reports/", include("support.reports.urls")),  # report pages: agents, teams, management
    path("kb/", include("support.knowledge.urls")),  # knowledge base for writers
    path("sla/", include("support.sla.urls")),  # SLA policies and business-hours calendars
]

api_urlpatterns = [
    *records_urls.api_urlpatterns,
    *reports_urls.api_urlpatterns,
    *desk_urls.api_urlpatterns,
]
