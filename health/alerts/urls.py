"""Pages of the health alerts (under ``/t/<tenant_slug>/``). Object-id kwargs follow the isolation suite's
naming (``<model>_pk``)."""

from django.urls import path

from health.alerts import views

urlpatterns = [
    path("health/alerts/", views.alert_list, name="alert-list"),
    path("health/alert-rules/", views.rule_list, name="alert-rule-list"),
    path("health/alert-rules/<int:alertrule_pk>/edit/", views.rule_edit, name="alert-rule-edit"),
    path("health/playbooks/", views.playbook_list, name="playbook-list"),
    path("health/playbooks/add/", views.playbook_add, name="playbook-add"),
    path("health/playbooks/<int:playbook_pk>/", views.playbook_detail, name="playbook-detail"),
    path("health/playbooks/<int:playbook_pk>/steps/add/", views.step_add, name="playbook-step-add"),
    path("health/playbooks/<int:playbook_pk>/start/", views.playbook_start, name="playbook-start"),
    path("health/playbook-steps/<int:playbookstep_pk>/edit/", views.step_edit, name="playbook-step-edit"),
    path("health/playbook-steps/<int:playbookstep_pk>/move/", views.step_move, name="playbook-step-move"),
    path("health/playbook-steps/<int:playbookstep_pk>/delete/", views.step_delete, name="playbook-step-delete"),
    path("accounts/<int:account_pk>/alerts/", views.account_alerts, name="account-alerts"),
    path("accounts/<int:account_pk>/playbooks/start/", views.account_playbook_start, name="account-playbook-start"),
]
