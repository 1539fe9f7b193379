"""Routes of learning: staff pages under ``/t/<tenant_slug>/`` (``urlpatterns``). Object-id kwargs are
``<model>_pk`` so the isolation suite tries each from another tenant."""

from django.urls import path

from learning.emails import views as email_views
from learning.learners import urls as learner_urls
from learning.paths import urls as path_urls
from learning.reports import urls as report_urls
from learning.tickets import views as ticket_views

urlpatterns = [
    *path_urls.urlpatterns,
    *learner_urls.urlpatterns,
    *report_urls.urlpatterns,
    path("learning/settings/", email_views.learning_settings, name="learning-settings"),
    path("learning/tickets/<int:ticket_pk>/paths/", ticket_views.ticket_paths, name="ticket-learning-paths"),
]
