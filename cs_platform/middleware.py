"""Input refused before any view runs, the same way for every URL (DESIGN.md: bad input is a clear 4xx).

- A NUL byte in the path or the query string: PostgreSQL refuses NUL in text, so such a value reaching a
  lookup or a search was a 500. The API answers 400 in its error shape naming the parameter (``path``
  for the path); pages answer 404 for a path (no object can have such a name) and 400 naming the
  parameter for a query string.
- API bodies: one answer for every endpoint, whichever parser (or none) it has. A declared
  Content-Length over ``MAX_BODY_BYTES`` is a 413; a malformed one a 400. A chunked body has no
  Content-Length, and Django reads a body only that far, so it used to read as empty: when the server
  de-chunks it and marks the input as terminated (``wsgi.input_terminated``, e.g. gunicorn) it is read
  here, bounded; otherwise it is refused with 411.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from cs_platform.api.parsers import MAX_BODY_BYTES

API_PREFIX = "/api/"
NUL = "\x00"
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


class BoundedInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path_info.startswith(API_PREFIX)
        refused = _refuse_nul(request, is_api=is_api) or (_refuse_body(request) if is_api else None)
        return refused or self.get_response(request)


def _api_error(status: int, field: str | None, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"field": field, "message": message}]}, status=status)


def _refuse_nul(request: HttpRequest, *, is_api: bool) -> HttpResponse | None:
    if NUL in request.path_info:
        if is_api:
            return _api_error(400, "path", NUL_MESSAGE)
        raise Http404("No such page")
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            field = name.replace(NUL, "\\u0000")
            if is_api:
                return _api_error(400, field, NUL_MESSAGE)
            return HttpResponseBadRequest(f"{field}: {NUL_MESSAGE}", content_type="text/plain; charset=utf-8")
    return None


def _refuse_body(request: HttpRequest) -> HttpResponse | None:
    too_large = f"the body must not exceed {MAX_BODY_BYTES} bytes"
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if raw_length:
        try:
            declared = int(raw_length)
        except ValueError:
            return _api_error(400, "body", "Content-Length must be a whole number of bytes")
        if declared < 0:
            return _api_error(400, "body", "Content-Length must be a whole number of bytes")
        if declared > MAX_BODY_BYTES:
            return _api_error(413, "body", too_large)
        return None
    if not request.META.get("HTTP_TRANSFER_ENCODING"):
        return None
    if not request.META.get("wsgi.input_terminated"):
        return _api_error(411, "body", "send the body with a Content-Length header (this server cannot "
                                       "read chunked bodies)")
    # One byte more than allowed tells "exactly at the limit" from "over it".
    data = request.META["wsgi.input"].read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        return _api_error(413, "body", too_large)
    # From here on the body is an ordinary one of known length, for Django and every DRF parser alike.
    request._stream = io.BytesIO(data)
    request.META["CONTENT_LENGTH"] = str(len(data))
    del request.META["HTTP_TRANSFER_ENCODING"]
    return None
