"""Staff pages of one tenant (mounted under ``/t/<tenant_slug>/``), one module per subject.

Views are thin (DESIGN.md): parse the request, fetch through accounts.access, call a selector or a
service, render. A list view renders the whole page, or only its results partial for htmx.
"""

from accounts.views.accounts import (
    account_create,
    account_detail,
    account_edit,
    account_export,
    account_import,
    account_list,
)
from accounts.views.apikeys import apikey_create, apikey_list, apikey_revoke
from accounts.views.contacts import (
    contact_create,
    contact_detail,
    contact_edit,
    contact_export,
    contact_import,
    contact_list,
)
from accounts.views.jobs import job_progress
from accounts.views.members import member_list, member_remove, member_role
from accounts.views.tenant import tenant_settings

__all__ = [
    "account_create",
    "account_detail",
    "account_edit",
    "account_export",
    "account_import",
    "account_list",
    "apikey_create",
    "apikey_list",
    "apikey_revoke",
    "contact_create",
    "contact_detail",
    "contact_edit",
    "contact_export",
    "contact_import",
    "contact_list",
    "job_progress",
    "member_list",
    "member_remove",
    "member_role",
    "tenant_settings",
]
