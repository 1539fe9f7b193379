"""Routes of surveys: pages under ``/t/<tenant_slug>/surveys/`` (``urlpatterns``) and API routes under
``/api/v1/`` (``api_urlpatterns``, API.md). Object-id kwargs are ``<model>_pk`` / ``<model>_external_id``
so the isolation suite tries each from another tenant."""

from django.urls import path

from surveys import api, views
from surveys.branding import views as branding_views
from surveys.loop import views as loop_views
from surveys.reports import urls as report_urls
from surveys.sending import urls as sending_urls
from surveys.triggers import urls as trigger_urls

urlpatterns = [
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/new/", views.survey_create, name="survey-create"),
    path("surveys/loop/", loop_views.loop_page, name="survey-loop"),
    path("surveys/<int:survey_pk>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:survey_pk>/edit/", views.survey_edit, name="survey-edit"),
    *report_urls.urlpatterns,
    *trigger_urls.urlpatterns,
    *sending_urls.urlpatterns,
    path("surveys/<int:survey_pk>/logo/", branding_views.logo_upload, name="survey-logo-upload"),
    path("surveys/<int:survey_pk>/logo/remove/", branding_views.logo_remove, name="survey-logo-remove"),
]

# Public, no login (mounted at /survey-logos/ by cs_platform.urls): the logo the survey page and emails show.
branding_urlpatterns = [
    path("<slug:logo_tenant_slug>/<int:surveylogo_pk>-<str:logo_key>", branding_views.logo_file,
         name="survey-logo-file"),
]

api_urlpatterns = [
    path("surveys", api.SurveyListView.as_view(), name="api-survey-list"),
    path("survey-responses", api.SurveyResponseView.as_view(), name="api-survey-responses"),
    path("accounts/<str:account_external_id>/survey-responses", api.AccountResponseListView.as_view(),
         name="api-account-survey-responses"),
    *report_urls.api_urlpatterns,
    *sending_urls.api_urlpatterns,
]
