"""Members of the tenant, for its admins: list, add by email, change role, remove."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.access import get_membership_for_tenant
from accounts.emails import send_member_invitation
from accounts.forms import AddMemberForm, MemberRoleForm
from accounts.models import Membership, Role
from accounts.permissions import requires
from accounts.services.tenants import MembershipError, add_member, change_member_role, remove_member


def _who(membership: Membership) -> str:
    return membership.user.email or membership.user.get_username()


def _unassigned_note(count: int) -> str:
    return f" {count} account(s) they owned are now unassigned." if count else ""


@require_http_methods(["GET", "POST"])
@requires("members.manage")
def member_list(request: HttpRequest) -> HttpResponse:
    form = AddMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = add_member(tenant=request.tenant, email=data["email"], role=data["role"],
                                             name=data["name"])
        except MembershipError as exc:
            form.add_error("email", str(exc))
        except IntegrityError:  # e.g. a user of another address already has this one as username
            form.add_error("email", "A user with this email could not be added; check the address.")
        else:
            sent = send_member_invitation(membership=membership, request=request)
            note = "" if sent else " The invitation email could not be sent; they can use “Forgot your password?”."
            messages.success(request, f"{_who(membership)} joined as {membership.get_role_display()}.{note}")
            return redirect("member-list", tenant_slug=request.tenant.slug)
    members = selectors.member_list(tenant=request.tenant)
    return render(request, "accounts/member_list.html", {"members": members, "form": form, "roles": Role.choices})


@require_POST
@requires("members.manage")
def member_role(request: HttpRequest, membership_pk: int) -> HttpResponse:
    membership = get_membership_for_tenant(request.tenant, pk=membership_pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Role of {_who(membership)} not changed: choose one of the listed roles.")
    else:
        try:
            change = change_member_role(tenant=request.tenant, membership=membership,
                                                 role=form.cleaned_data["role"])
        except MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{_who(membership)} is now {change.membership.get_role_display()}."
                                      + _unassigned_note(change.accounts_unassigned))
            if membership.user_id == request.user.pk and change.membership.role != Role.ADMIN:
                # They gave up their own admin role: the members page is no longer theirs to see.
                return redirect("tenant-home", tenant_slug=request.tenant.slug)
    return redirect("member-list", tenant_slug=request.tenant.slug)


@require_POST
@requires("members.manage")
def member_remove(request: HttpRequest, membership_pk: int) -> HttpResponse:
    membership = get_membership_for_tenant(request.tenant, pk=membership_pk)
    try:
        change = remove_member(tenant=request.tenant, membership=membership)
    except MembershipError as exc:
        messages.error(request, str(exc))
        return redirect("member-list", tenant_slug=request.tenant.slug)
    messages.success(request, f"{_who(membership)} no longer belongs to {request.tenant.name}."
                              + _unassigned_note(change.accounts_unassigned))
    if membership.user_id == request.user.pk:
        return redirect("home")  # they removed themself: this tenant's pages are closed to them now
    return redirect("member-list", tenant_slug=request.tenant.slug)
