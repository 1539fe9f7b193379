"""Routes of surveys: pages under ``/t/<tenant_slug>/surveys/`` (``urlpatterns``) and API routes under
``/api/v1/`` (``api_urlpatterns``, API.md). Object-id kwargs are ``<model>_pk`` / ``<model>_external_id``
so the isolation suite tries each from another tenant."""

from django.urls import path

from surveys import api, views
from surveys.loop import views as loop_views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/new/", views.survey_create, name="survey-create"),
    path("surveys/loop/", loop_views.loop_page, name="survey-loop"),
    path("surveys/<int:survey_pk>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:survey_pk>/edit/", views.survey_edit, name="survey-edit"),
]

api_urlpatterns = [
    path("surveys", api.SurveyListView.as_view(), name="api-survey-list"),
    path("survey-responses", api.SurveyResponseView.as_view(), name="api-survey-responses"),
    path("accounts/<str:account_external_id>/survey-responses", api.AccountResponseListView.as_view(),
         name="api-account-survey-responses"),
]
