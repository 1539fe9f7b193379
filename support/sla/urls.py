"""SLA pages, mounted under ``/t/<tenant_slug>/sla/`` by accounts/urls.py."""

from django.urls import path

from support.sla import views

urlpatterns = [
    path("", views.policy_list, name="sla-policy-list"),
    path("policies/new/", views.policy_create, name="sla-policy-create"),
    path("policies/default/", views.policy_create_default, name="sla-policy-create-default"),
    path("policies/<int:slapolicy_pk>/edit/", views.policy_edit, name="sla-policy-edit"),
    path("policies/<int:slapolicy_pk>/delete/", views.policy_delete, name="sla-policy-delete"),
    path("calendars/new/", views.calendar_create, name="sla-calendar-create"),
    path("calendars/<int:businesscalendar_pk>/edit/", views.calendar_edit, name="sla-calendar-edit"),
    path("calendars/<int:businesscalendar_pk>/delete/", views.calendar_delete, name="sla-calendar-delete"),
    path("calendars/<int:businesscalendar_pk>/holidays/", views.holiday_add, name="sla-holiday-add"),
    path("holidays/<int:holiday_pk>/delete/", views.holiday_delete, name="sla-holiday-delete"),
]
