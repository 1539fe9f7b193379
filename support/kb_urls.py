"""Knowledge-base writers' pages, mounted under ``/t/<tenant_slug>/kb/`` by accounts/urls.py."""

from django.urls import path

from support import kb_views as views

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
