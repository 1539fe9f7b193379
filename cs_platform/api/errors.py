"""One error shape for the whole API (API.md): ``{"errors": [{"field": ..., "message": ...}]}``."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def flatten_errors(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """DRF's nested error dicts/lists -> a flat list naming each field by its dotted path."""
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
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
