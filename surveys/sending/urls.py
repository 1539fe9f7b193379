"""Routes of sending, included by surveys.urls: pages under ``/t/<tenant_slug>/surveys/`` and API routes
under ``/api/v1/``."""

from django.urls import path

from surveys.sending import api, views

urlpatterns = [
    path("surveys/settings/", views.policy_settings, name="survey-settings"),
    path("surveys/invitations/", views.invitation_list, name="survey-invitations"),
    path("surveys/outbox/", views.outbox_list, name="survey-outbox"),
    path("surveys/contacts/<int:contact_pk>/invite/", views.contact_invite, name="survey-contact-invite"),
]

api_urlpatterns = [
    path("survey-invitations", api.SurveyInvitationView.as_view(), name="api-survey-invitations"),
    path("email-bounces", api.EmailBounceView.as_view(), name="api-email-bounces"),
]
