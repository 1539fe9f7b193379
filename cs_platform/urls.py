from django.contrib import admin
from django.urls import include, path

from accounts import auth_views

urlpatterns = [
    path("", auth_views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("cs_platform.api_urls")),
    path("t/<slug:tenant_slug>/", include("accounts.urls")),
]
