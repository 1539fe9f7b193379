"""One error shape for the whole API (API.md): ``{"errors": [{"field": ..., "message": ...}]}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def flatten_errors(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested error dicts/lists -> a flat list naming each field by its dotted path."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            if isinstance(key, int):  # a nested list serializer's errors are keyed by the item's index
                out.extend(flatten_errors(value, f"{prefix or ''}[{key}]"))
                continue
            field = None if key in ("non_field_errors", "detail") else key
            path = ".".join(p for p in (prefix, field) if p) or None
            out.extend(flatten_errors(value, path))
        return out
    if isinstance(detail, list):
        if detail and all(not isinstance(item, dict | list) for item in detail):
            return [{"field": prefix, "message": str(item)} for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:
                out.extend(flatten_errors(item, f"{prefix}[{index}]" if prefix else f"[{index}]"))
        return out
    return [{"field": prefix, "message": str(detail)}]


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        errors = [{"field": "body", "message": str(exc.detail)}]
    elif isinstance(exc, exceptions.APIException):
        errors = flatten_errors(exc.detail)
    else:
        errors = flatten_errors(response.data)
    response.data = {"errors": errors}
    return response


API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The site's 404 handler: under ``/api/`` a path no route matches (``jobs/abc``, an id with a ``/``)
    answers in the API's error shape, as JSON, like every other API answer; pages keep Django's page."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"errors": [{"field": "path", "message": "no such API resource"}]}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The site's 500 handler: an API client gets JSON in the error shape, never an HTML page."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"errors": [{"field": None, "message": "internal server error"}]}, status=500)
    return defaults.server_error(request)
