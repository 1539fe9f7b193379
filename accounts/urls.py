"""Routes of the accounts app: tenant pages (``urlpatterns``, under ``/t/<tenant_slug>/``), API routes
(``api_urlpatterns``, under ``/api/v1/``) and the operators' pages (``operator_urlpatterns``, under
``/tenants/``, superusers only).

URL kwargs that carry an object id are named ``<model>_pk`` / ``<model>_external_id``: the isolation
suite (tests/isolation) maps each name to its model and tries it from another tenant.

``.../bulk`` comes before ``.../<external_id>``, so an object whose external_id is literally "bulk"
cannot be read through the detail route; ``<str:...>`` also means external ids cannot hold "/".
"""

from django.urls import path

from accounts import api, views
from accounts.subscriptions import api as subscriptions_api
from accounts.timeline import views as timeline_views
from accounts.views import operator
from accounts.worklist import api as worklist_api
from accounts.worklist import views as worklist_views
from accounts.workspace import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="tenant-home"),  # the role-aware home (accounts.workspace)
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create, name="account-create"),
    path("accounts/import/", views.account_import, name="account-import"),
    path("accounts/export.csv", views.account_export, name="account-export"),
    path("accounts/<int:account_pk>/", views.account_detail, name="account-detail"),
    path("accounts/<int:account_pk>/edit/", views.account_edit, name="account-edit"),
    path("accounts/<int:account_pk>/notes/new/", timeline_views.note_create, name="note-create"),
    path("notes/<int:note_pk>/edit/", timeline_views.note_edit, name="note-edit"),
    path("notes/<int:note_pk>/delete/", timeline_views.note_delete, name="note-delete"),
    path("tasks/", worklist_views.task_list, name="task-list"),
    path("tasks/<int:task_pk>/", worklist_views.task_detail, name="task-detail"),
    path("tasks/<int:task_pk>/complete/", worklist_views.task_complete, name="task-complete"),
    path("tasks/<int:task_pk>/reopen/", worklist_views.task_reopen, name="task-reopen"),
    path("tasks/<int:task_pk>/snooze/", worklist_views.task_snooze, name="task-snooze"),
    path("tasks/<int:task_pk>/comment/", worklist_views.task_comment, name="task-comment"),
    path("tasks/<int:task_pk>/due/", worklist_views.task_due, name="task-due"),
    path("tasks/<int:task_pk>/assignee/", worklist_views.task_assign, name="task-assign"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/import/", views.contact_import, name="contact-import"),
    path("contacts/export.csv", views.contact_export, name="contact-export"),
    path("contacts/<int:contact_pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact-edit"),
    path("jobs/<int:job_pk>/", views.job_progress, name="job-progress"),
    path("settings/api-keys/", views.apikey_list, name="apikey-list"),
    path("settings/api-keys/new/", views.apikey_create, name="apikey-create"),
    path("settings/api-keys/<int:apikey_pk>/revoke/", views.apikey_revoke, name="apikey-revoke"),
    path("settings/members/", views.member_list, name="member-list"),
    path("settings/members/<int:membership_pk>/role/", views.member_role, name="member-role"),
    path("settings/members/<int:membership_pk>/remove/", views.member_remove, name="member-remove"),
    path("settings/tenant/", views.tenant_settings, name="tenant-settings"),
]

api_urlpatterns = [
    path("accounts", api.AccountListView.as_view(), name="api-account-list"),
    path("accounts/bulk", api.AccountBulkView.as_view(), name="api-account-bulk"),
    path("accounts/<str:account_external_id>", api.AccountDetailView.as_view(), name="api-account-detail"),
    path("contacts", api.ContactListView.as_view(), name="api-contact-list"),
    path("contacts/bulk", api.ContactBulkView.as_view(), name="api-contact-bulk"),
    path("contacts/<str:contact_external_id>", api.ContactDetailView.as_view(), name="api-contact-detail"),
    path("jobs/<int:job_pk>", api.JobDetailView.as_view(), name="api-job-detail"),
    path("tasks", worklist_api.TaskListView.as_view(), name="api-task-list"),
    path("tasks/<int:task_pk>", worklist_api.TaskDetailView.as_view(), name="api-task-detail"),
    path("subscriptions/bulk", subscriptions_api.SubscriptionBulkView.as_view(), name="api-subscription-bulk"),
]

operator_urlpatterns = [
    path("new/", operator.tenant_create, name="tenant-create"),
]
