"""Routes of learning: pages under ``/t/<tenant_slug>/`` (``urlpatterns``)."""

from learning.reports import urls as report_urls

urlpatterns = [
    *report_urls.urlpatterns,
]
