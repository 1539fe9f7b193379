from django.contrib import admin
from django.contrib.auth import views as django_auth_views
from django.urls import include, path

from accounts import auth_views
from accounts.forms import StaffPasswordResetForm

urlpatterns = [
    path("", auth_views.home, name="home"),
    # Before Django's auth URLs, which it overrides: members who never set a password can ask for one too.
    path("accounts/password_reset/",
         django_auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("cs_platform.api_urls")),
    path("tenants/", include("accounts.operator_urls")),
    path("t/<slug:tenant_slug>/", include("accounts.urls")),
    path("help/<slug:help_slug>/", include("support.helpcenter_urls")),  # public, no login
]
