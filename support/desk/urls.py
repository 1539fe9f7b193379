"""Agent desk pages under ``/t/<tenant_slug>/support/``: inbox, ticket page, macros, callback queue,
contact merges; and ``POST /api/v1/callbacks``."""

from django.urls import path

from support.desk import api, views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/assign/", views.inbox_bulk_assign, name="inbox-bulk-assign"),
    path("tickets/<int:ticket_pk>/", views.ticket_detail, name="ticket-detail"),
    path("tickets/<int:ticket_pk>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:ticket_pk>/macro/", views.ticket_macro, name="ticket-macro"),
    path("tickets/<int:ticket_pk>/status/", views.ticket_status, name="ticket-status"),
    path("tickets/<int:ticket_pk>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<int:ticket_pk>/tags/", views.ticket_tags, name="ticket-tags"),
    path("tickets/<int:ticket_pk>/merge/", views.ticket_merge, name="ticket-merge"),
    path("tickets/<int:ticket_pk>/callback/", views.ticket_schedule_callback, name="ticket-callback"),
    path("macros/", views.macro_list, name="macro-list"),
    path("macros/new/", views.macro_create, name="macro-create"),
    path("macros/<int:macro_pk>/edit/", views.macro_edit, name="macro-edit"),
    path("macros/<int:macro_pk>/delete/", views.macro_delete, name="macro-delete"),
    path("callbacks/", views.callback_queue, name="callback-queue"),
    path("callbacks/<int:callback_pk>/complete/", views.callback_complete, name="callback-complete"),
    path("contacts/<int:contact_pk>/merge/", views.contact_merge, name="contact-merge"),
]

api_urlpatterns = [
    path("callbacks", api.CallbackCreateView.as_view(), name="api-callback-create"),
]
