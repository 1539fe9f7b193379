"""The site's URL root. Each app's ``urls`` module holds its page routes (``urlpatterns``, mounted under
``/t/<tenant_slug>/``) and, where it has them, its API routes (``api_urlpatterns``, under ``/api/v1/``,
collected by ``cs_platform.api.urls``)."""

from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.views import auth as auth_views
from support.knowledge import urls as knowledge_urls
from surveys import urls as surveys_urls

# One tenant's pages: the tenant middleware resolves ``tenant_slug`` against the user's memberships.
tenant_urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("health.urls")),
    path("", include("support.urls")),
    path("", include("surveys.urls")),
    path("", include("learning.urls")),
]

urlpatterns = [
    path("", auth_views.home, name="home"),
    # Before Django's auth URLs, which it overrides: members who never set a password can ask for one too.
    # It is also throttled per address and per email (accounts.views.auth.ThrottledPasswordResetView).
    path("accounts/password_reset/", auth_views.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("cs_platform.api.urls")),
    path("tenants/", include(accounts_urls.operator_urlpatterns)),
    path("t/<slug:tenant_slug>/", include(tenant_urlpatterns)),
    path("help/<slug:help_slug>/", include(knowledge_urls.helpcenter_urlpatterns)),  # public, no login
    path("s/", include("surveys.public.urls")),  # the survey links of the emails: public, no login
    path("survey-logos/", include(surveys_urls.branding_urlpatterns)),  # public, no login
    path("docs/", include("cs_platform.docs.urls")),  # docs/*.md for signed-in staff
]

# Under /api/ these answer JSON in the API's error shape (API.md); pages keep Django's own.
handler404 = "cs_platform.api.errors.not_found"
handler500 = "cs_platform.api.errors.server_error"
