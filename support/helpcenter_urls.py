"""Public help-center pages, mounted under ``/help/<help_slug>/`` by cs_platform/urls.py. The kwarg is
not ``tenant_slug`` on purpose: that one makes the tenant middleware require a member's login."""

from django.urls import path

from support import helpcenter_views as views

urlpatterns = [
    path("", views.home, name="helpcenter-home"),
    path("c/<slug:category_slug>/", views.category, name="helpcenter-category"),
    path("a/<slug:article_slug>/", views.article, name="helpcenter-article"),
]
