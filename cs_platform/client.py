"""Who is asking: the client address and the login name that login and password-reset throttling count by."""

from __future__ import annotations

import ipaddress
import unicodedata

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from.

    Behind the TLS proxy (``BEHIND_TLS_PROXY``) every connection comes from the proxy, so the address is
    the last entry of ``X-Forwarded-For``: the one that proxy appended. Entries before it are whatever the
    client sent and prove nothing. None when there is no valid address (axes stores it in an IP column).
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        last = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if _valid_ip(last):
            return last
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _valid_ip(remote) else None


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def normalized_login(value: str) -> str:
    # "Alice@X.test" and "alice@x.test " count as one: changing the case must not buy more attempts.
    return unicodedata.normalize("NFKC", value).strip().casefold()[:255]


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """axes: the username an attempt counts against, whether or not such an account exists."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username") if request is not None else None
    return normalized_login(username) if isinstance(username, str) else None
