"""Knowledge base: writers' pages (``urlpatterns``, under ``/t/<tenant_slug>/kb/``) and the public help
center (``helpcenter_urlpatterns``, under ``/help/<help_slug>/``, no login). The help center's kwarg is
not ``tenant_slug`` on purpose: that one makes the tenant middleware require a member's login."""

from django.urls import path

from support.knowledge import views

urlpatterns = [
    path("", views.article_list, name="kb-article-list"),
    path("articles/new/", views.article_create, name="kb-article-create"),
    path("articles/<int:article_pk>/edit/", views.article_edit, name="kb-article-edit"),
    path("articles/<int:article_pk>/publish/", views.article_publish, name="kb-article-publish"),
    path("articles/<int:article_pk>/delete/", views.article_delete, name="kb-article-delete"),
    path("categories/", views.category_list, name="kb-category-list"),
    path("categories/<int:articlecategory_pk>/edit/", views.category_edit, name="kb-category-edit"),
    path("categories/<int:articlecategory_pk>/delete/", views.category_delete, name="kb-category-delete"),
    path("frequent-questions/", views.frequent_questions, name="kb-frequent-questions"),
]

helpcenter_urlpatterns = [
    path("", views.home, name="helpcenter-home"),
    path("c/<slug:category_slug>/", views.category, name="helpcenter-category"),
    path("a/<slug:article_slug>/", views.article, name="helpcenter-article"),
]
