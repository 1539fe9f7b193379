"""Routes of the authoring pages, under ``/t/<tenant_slug>/learning/`` (``urlpatterns``), and the public lesson
image file (``image_urlpatterns``, mounted at ``/lesson-images/`` by cs_platform.urls). Object-id kwargs are
``<model>_pk`` so the isolation suite tries each from another tenant."""

from django.urls import path

from learning.paths import views

urlpatterns = [
    path("learning/", views.path_list, name="learning-path-list"),
    path("learning/new/", views.path_create, name="learning-path-create"),
    path("learning/<int:learningpath_pk>/", views.path_detail, name="learning-path-detail"),
    path("learning/<int:learningpath_pk>/edit/", views.path_edit, name="learning-path-edit"),
    path("learning/<int:learningpath_pk>/steps/new/", views.step_create, name="learning-step-create"),
    path("learning/<int:learningpath_pk>/steps/<int:step_pk>/", views.step_edit, name="learning-step-edit"),
    path("learning/<int:learningpath_pk>/steps/<int:step_pk>/move/", views.step_move, name="learning-step-move"),
    path("learning/<int:learningpath_pk>/steps/<int:step_pk>/delete/", views.step_delete,
         name="learning-step-delete"),
    path("learning/<int:learningpath_pk>/publish/", views.path_publish, name="learning-path-publish"),
    path("learning/<int:learningpath_pk>/unpublish/", views.path_unpublish, name="learning-path-unpublish"),
    path("learning/<int:learningpath_pk>/migrate/", views.path_migrate, name="learning-path-migrate"),
    path("learning/<int:learningpath_pk>/preview/", views.path_preview, name="learning-path-preview"),
    path("learning/<int:learningpath_pk>/versions/<int:pathversion_pk>/preview/", views.version_preview,
         name="learning-version-preview"),
    path("learning/<int:learningpath_pk>/images/", views.image_upload, name="learning-image-upload"),
]

# Public, no login: the images lessons embed, in learner pages and emails.
image_urlpatterns = [
    path("<slug:image_tenant_slug>/<int:lessonimage_pk>-<str:image_key>", views.lesson_image_file,
         name="lesson-image-file"),
]
