"""The portfolio page, under ``/t/<tenant_slug>/`` (included from health.urls)."""

from django.urls import path

from health.portfolio import views

urlpatterns = [
    path("health/portfolio/", views.portfolio, name="health-portfolio"),
]
