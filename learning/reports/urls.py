"""The learning report pages under ``/t/<tenant_slug>/`` (included by learning.urls). Object-id kwargs follow
the isolation suite's naming (``<model>_pk``)."""

from django.urls import path

from learning.reports import views

urlpatterns = [
    path("learning/reports/", views.learning_overview, name="learning-overview"),
    path("learning/reports/paths/<int:learningpath_pk>/", views.path_report, name="learning-path-report"),
    path("accounts/<int:account_pk>/learning/", views.account_learning, name="account-learning"),
]
