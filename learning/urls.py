"""Routes of learning: staff pages under ``/t/<tenant_slug>/`` (``urlpatterns``). Object-id kwargs are
``<model>_pk`` so the isolation suite tries each from another tenant."""

from learning.learners import urls as learner_urls
from learning.paths import urls as path_urls
from learning.reports import urls as report_urls

urlpatterns = [
    *path_urls.urlpatterns,
    *learner_urls.urlpatterns,
    *report_urls.urlpatterns,
]
