"""Emails to staff users. A member added without a password gets, in their invitation, the same
one-time link as Django's password reset (same token generator, same confirm page)."""

from __future__ import annotations

import logging

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Membership

logger = logging.getLogger(__name__)


def set_password_url(*, user, request: HttpRequest) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return request.build_absolute_uri(path)


def send_member_invitation(*, membership: Membership, request: HttpRequest) -> bool:
    """Tell a new member of a tenant how to get in: a link to set their password if they have none
    yet, the login page otherwise. Answers whether the mail went out (the membership stands either
    way; "Forgot password" sends a new link)."""
    user = membership.user
    tenant = membership.tenant
    context = {
        "tenant": tenant,
        "role": membership.get_role_display(),
        "invited_by": request.user if request.user.is_authenticated else None,
        "login_url": request.build_absolute_uri(reverse("login")),
        "tenant_url": request.build_absolute_uri(reverse("account-list", args=[tenant.slug])),
        "set_password_url": None if user.has_usable_password() else set_password_url(user=user, request=request),
    }
    subject = "".join(render_to_string("accounts/email/invitation_subject.txt", context).splitlines())
    body = render_to_string("accounts/email/invitation.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # an SMTP outage must not undo or hide a membership that was saved
        logger.exception("invitation mail to user %s failed", user.pk)
        return False
    return True
