"""Views outside any tenant: the landing redirect, the tenant switcher, and the throttled edges of signing
in (the login lockout page, the password-reset form)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import views as django_auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django_ratelimit.core import is_ratelimited

from accounts.forms import StaffPasswordResetForm
from accounts.selectors import user_memberships
from cs_platform.client import client_ip, normalized_login

logger = logging.getLogger(__name__)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # The user's own memberships, across tenants: this page is where a tenant gets chosen.
    memberships = user_memberships(user=request.user)
    # Operators stay on the chooser: it is where they create tenants.
    if len(memberships) == 1 and not request.user.is_superuser:
        return redirect("tenant-home", tenant_slug=memberships[0].tenant.slug)
    return render(request, "tenant_switcher.html", {"memberships_list": memberships})


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """axes' lockout answer (``AXES_LOCKOUT_CALLABLE``), for our login page and the admin's alike.

    Nothing in it depends on the username: a locked-out name that exists and one that does not look the same.
    """
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(request, "registration/login_locked.html", {"cooloff_minutes": minutes},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


class ThrottledPasswordResetView(django_auth_views.PasswordResetView):
    """Django's reset form, counting requests per client address and per submitted email.

    Over either limit the answer is the usual "if an account uses that address, a link is on its way" and no
    mail goes out: the form cannot be used to flood a mailbox, nor to learn which addresses are throttled.
    """

    form_class = StaffPasswordResetForm

    def form_valid(self, form: StaffPasswordResetForm) -> HttpResponse:
        email = normalized_login(form.cleaned_data["email"])
        # Both counters move on every request, so a flood from one address also uses up that email's quota.
        over_ip = is_ratelimited(self.request, group="password-reset:ip", key=lambda _g, r: client_ip(r) or "",
                                 rate=settings.PASSWORD_RESET_RATE_PER_IP, increment=True)
        over_email = is_ratelimited(self.request, group="password-reset:email", key=lambda _g, _r: email,
                                    rate=settings.PASSWORD_RESET_RATE_PER_EMAIL, increment=True)
        if over_ip or over_email:
            logger.warning("password reset throttled (%s)", "address" if over_ip else "email")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
