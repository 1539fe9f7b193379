"""QA peer-review pages under ``/t/<tenant_slug>/support/qa/`` (issue 5)."""

from django.urls import path

from support.qa import views

urlpatterns = [
    path("rubrics/", views.rubric_list, name="qa-rubric-list"),
    path("rubrics/new/", views.rubric_create, name="qa-rubric-create"),
    path("rubrics/<int:qarubric_pk>/", views.rubric_detail, name="qa-rubric-detail"),
    path("rubrics/<int:qarubric_pk>/active/", views.rubric_active, name="qa-rubric-active"),
    path("queue/", views.queue, name="qa-queue"),
    path("queue/sample/", views.build_sample, name="qa-build-sample"),
    path("reviews/<int:qareview_pk>/", views.review_detail, name="qa-review-detail"),
    path("reviews/<int:qareview_pk>/calibrate/", views.review_calibrate, name="qa-review-calibrate"),
    path("calibration/", views.calibration, name="qa-calibration"),
    path("mine/", views.mine, name="qa-mine"),
]
