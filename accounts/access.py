"""Access helpers (DESIGN.md rule 4): fetch an object *of this tenant* in one step.

"Not yours" and "does not exist" are the same 404, so ids of other tenants cannot be probed. Views
and API views fetch objects only through these helpers.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import ApiKey, Contact, CustomerAccount, Job, Membership, Tenant


def fetch_one(queryset, what: str, **lookup):
    """The one row of ``queryset`` matching ``lookup``, or 404. Other apps' access helpers use it too."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}") from None


def get_tenant_by_slug(*, slug: str, what: str = "tenant") -> Tenant:
    """The tenant named by a public URL's slug alone, no membership involved (e.g. the help center), or
    404 ``No such <what>``."""
    return fetch_one(Tenant.objects.all(), what, slug=slug)


def get_account_for_tenant(tenant: Tenant, *, pk: int | None = None, external_id: str | None = None) -> CustomerAccount:
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    return fetch_one(CustomerAccount.objects.filter(tenant=tenant).select_related("owner_csm"), "account", **lookup)


def get_contact_for_tenant(tenant: Tenant, *, pk: int | None = None, external_id: str | None = None) -> Contact:
    lookup = {"pk": pk} if pk is not None else {"external_id": external_id}
    return fetch_one(Contact.objects.filter(tenant=tenant).select_related("account"), "contact", **lookup)


def get_job_for_tenant(tenant: Tenant, *, pk: int) -> Job:
    return fetch_one(Job.objects.filter(tenant=tenant), "job", pk=pk)


def get_apikey_for_tenant(tenant: Tenant, *, pk: int) -> ApiKey:
    return fetch_one(ApiKey.objects.filter(tenant=tenant), "API key", pk=pk)


def get_membership_for_tenant(tenant: Tenant, *, pk: int) -> Membership:
    return fetch_one(Membership.objects.filter(tenant=tenant).select_related("user"), "member", pk=pk)
