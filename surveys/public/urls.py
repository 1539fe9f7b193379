"""The public survey paths at the site's root (surveys.tokens.answer_path / opt_out_path build them for the
emails). The kwarg is ``token``, not ``tenant_slug``: that one makes the tenant middleware require a login."""

from django.urls import path

from surveys.public import views

urlpatterns = [
    path("<str:token>/", views.answer, name="survey-public-answer"),
    path("<str:token>/opt-out/", views.opt_out_page, name="survey-public-opt-out"),
]
