"""Routes of the project's documents (cs_platform.docs.views), mounted at ``/docs/``."""

from django.urls import path

from cs_platform.docs import views

urlpatterns = [
    path("<slug:name>/", views.doc, name="doc"),
]
