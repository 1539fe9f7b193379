"""Operator pages (superusers only), mounted under ``/tenants/``."""

from django.urls import path

from accounts import operator_views

urlpatterns = [
    path("new/", operator_views.tenant_create, name="tenant-create"),
]
