"""OpenAPI pieces shared by the API views: the bearer-key security scheme and the documented shapes of
answers that are not model serializers (errors, bulk results).

The serializers here only describe responses for drf-spectacular; the views build those bodies
from ``BulkResult.as_dict()`` and ``cs_platform.api.errors``.
"""

from __future__ import annotations

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "cs_platform.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of one tenant: `Authorization: Bearer <key>`. Scopes: read, write, ingest.",
        }


# DRF's decimal pattern lets "", "." and (for a field with min_value 0) "-1" through, which the field refuses.
SIGNED_DECIMAL = r"^-?[0-9]{1,%d}(?:\.[0-9]{1,%d})?$"
UNSIGNED_DECIMAL = r"^[0-9]{1,%d}(?:\.[0-9]{1,%d})?$"


class StrictSerializerExtension(OpenApiSerializerExtension):
    """The input rules of ``StrictSerializer`` in the schema (found by the API fuzz: each was a 400 for a
    schema-valid body): an unknown field is an error (``additionalProperties: false``), a pair of which one is
    required is an ``anyOf`` (``requires_one_of``), an external id that
    the API creates has no ``/`` (it is a URL path segment), and a decimal is digits, with a sign only where
    negative values are allowed."""

    target_class = "cs_platform.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        from cs_platform.api.serializers import ExternalIdField

        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        if self.target.requires_one_of:
            schema["anyOf"] = [{"required": [name], "properties": {name: {"minLength": 1}}}
                               for name in self.target.requires_one_of]
        for name, field in self.target.fields.items():
            prop = schema["properties"].get(name)
            if prop is None:
                continue
            if isinstance(field, ExternalIdField):
                prop["pattern"] = "^[^/]*$"
            elif isinstance(field, serializers.DecimalField) and field.max_digits and field.decimal_places:
                unsigned = field.min_value is not None and field.min_value >= 0
                whole = field.max_digits - field.decimal_places
                prop["pattern"] = (UNSIGNED_DECIMAL if unsigned else SIGNED_DECIMAL) % (whole, field.decimal_places)
        return schema


class TenantDjangoFilterExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter support asks ``Model.objects.none()``, which our fail-closed manager
    refuses outside a tenant scope. An empty queryset built without the manager serves the same purpose
    and runs no query."""

    priority = 1  # preferred over the stock extension for the same backend

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        from accounts.tenancy import TenantQuerySet

        model = get_view_model(auto_schema.view)
        if not model:
            return []
        filterset_class = self.target.get_filterset_class(auto_schema.view, TenantQuerySet(model=model).none())
        if not filterset_class:
            return []
        result = []
        with add_trace_message(filterset_class):
            for field_name, filter_field in filterset_class.base_filters.items():
                result += self.resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        return result


class ErrorItemSerializer(serializers.Serializer):
    # Answers only: read-only, so ENFORCE_NON_BLANK_FIELDS (an input rule) gives them no minLength.
    field = serializers.CharField(allow_null=True, read_only=True,
                                  help_text="dotted path of the input at fault; null for the whole")
    message = serializers.CharField(read_only=True)


class ErrorResponseSerializer(serializers.Serializer):
    errors = ErrorItemSerializer(many=True)


class RejectedItemSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0-based position of the item in the batch")
    errors = ErrorItemSerializer(many=True)


class BulkResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="items written (created + updated)")
    duplicates = serializers.IntegerField(help_text="items identical to what is stored: nothing written")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = RejectedItemSerializer(many=True)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorResponseSerializer, description=description)


READ_ERRORS = {
    401: error("no API key, or an invalid or revoked one"),
    403: error("the key lacks the `read` scope"),
}


DETAIL_ERRORS = {**READ_ERRORS, 404: error("no such object in this tenant")}


LIST_ERRORS = {**READ_ERRORS, 400: error("a filter, `cursor` or `limit` is invalid; `field` names it")}


WRITE_ERRORS = {
    400: error("invalid input; `field` names it"),
    401: error("no API key, or an invalid or revoked one"),
    403: error("the key lacks the `write` scope"),
    # Every JSON body is bounded (cs_platform.api.parsers); the fuzz met it on a long interaction body.
    413: error("the body is more than 1 MB; `field` is `body`"),
}


BULK_ERRORS = {
    400: error("the body is not a JSON array (or NDJSON), is malformed or nests more than 32 levels; "
               "`field` is `body`"),
    401: error("no API key, or an invalid or revoked one"),
    403: error("the key lacks the `write` scope"),
    413: error("more than 1,000 items or more than 1 MB; `field` is `body`"),
    411: error("a chunked body this server cannot read; send a Content-Length"),
    415: error("Content-Type is neither application/json nor application/x-ndjson"),
}
