"""The learner portal's paths, mounted at ``/learn/`` (learning.links.link_path builds the magic links'), and
the public certificate page's, at ``/certificates/``. The tenant's kwarg is ``learner_tenant_slug``, not
``tenant_slug``: that one makes the tenant middleware require a staff login."""

from django.urls import path

from learning.portal import views

urlpatterns = [
    path("", views.home, name="learner-home"),
    path("link/<str:link_token>/", views.link, name="learner-link"),
    path("sign-out/", views.sign_out, name="learner-sign-out"),
    path("paths/<int:enrollment_pk>/", views.path_detail, name="learner-path"),
    path("paths/<int:enrollment_pk>/steps/<slug:step_key>/", views.step_detail, name="learner-step"),
    path("paths/<int:enrollment_pk>/certificate/", views.certificate, name="learner-certificate"),
    path("<slug:learner_tenant_slug>/sign-in/", views.sign_in, name="learner-sign-in"),
]

certificate_urlpatterns = [
    path("<str:certificate_code>/", views.certificate_verify, name="certificate-verify"),
]
