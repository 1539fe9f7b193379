"""Images served at public URLs named by an id and a random key (survey logos, lesson images): the
constant-time key check and the response, shared so both answer alike (the same 404 for a wrong key as for
no image, a year of caching because a new upload gets a new key, the digest as ETag, no sniffing)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified

from accounts.access import get_tenant_by_slug
from accounts.tenancy import tenant_scope

YEAR = 365 * 24 * 3600


def keyed_row(queryset: QuerySet, *, pk: int, key: str) -> Model | None:
    """The row ``pk`` of ``queryset`` when ``key`` is its ``key`` (compared in constant time), else None."""
    row = queryset.filter(pk=pk).first()
    if row is None or not secrets.compare_digest(row.key.encode(), key.encode("utf-8", "replace")):
        return None
    return row


def immutable_image_response(request: HttpRequest, *, data: bytes, content_type: str, digest: str) -> HttpResponse:
    etag = f'"{digest}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(data), content_type=content_type)
    # The URL changes with every upload (a new key), so what it names never changes: cache it for a year.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    return response


def public_image_response(request: HttpRequest, *, tenant_slug: str, what: str,
                          find: Callable[..., Model | None]) -> HttpResponse:
    """The image that ``find(tenant)`` answers inside the tenant named by the URL's slug, or ``No such
    <what>`` (404) for a wrong tenant, id or key alike. The row needs ``data``, ``content_type``, ``digest``."""
    tenant = get_tenant_by_slug(slug=tenant_slug, what=what)
    with tenant_scope(tenant):
        row = find(tenant)
    if row is None:
        raise Http404(f"No such {what}")
    return immutable_image_response(request, data=row.data, content_type=row.content_type, digest=row.digest)
