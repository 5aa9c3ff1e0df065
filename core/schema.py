"""The OpenAPI schema's account of what every API operation may answer besides its success.

Views document their own responses (`extend_schema(responses=...)`); the error statuses that follow
from the project's settings hold for every operation alike, so they are added here once, unless the view
documented the status itself:

- 401 without a valid key, 403 for a signed-in user the API is not for, 429 when throttled: every operation;
- 400 `{field: [messages]}` (or `{detail}` for a body that is no JSON) where there is input: a body,
  query parameters or headers;
- 404 where the path names an object;
- a list's filters also take the empty value (no filter), as `?stage=&status=` in API.md;
- 409 (a conflicting concurrent write, or an Idempotency-Key reused with another body), 413 (a body over
  the limit) and 415 (a body in a media type the API does not read) where there is a body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

# The error bodies, as schema components.
ERROR_SCHEMAS: dict[str, dict[str, Any]] = {}
ERROR_SCHEMAS["ErrorDetail"] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "An error: `detail` says what went wrong.",
}
ERROR_SCHEMAS["ValidationError"] = {
    "type": "object",
    "additionalProperties": {},
    "description": "Invalid input: `{field: [messages]}`, nested like the input (rows of a list by their "
    'index: `{"loans": {"12": {"principal": ["..."]}}}`); `{detail}` for a body that is not JSON.',
}
ERROR_SCHEMAS["Conflict"] = {
    "type": "object",
    "additionalProperties": {},
    "description": "A conflict: `{field: [messages]}` naming it, or `{detail}`.",
}

_DESCRIPTIONS = {
    "400": "Invalid input, each problem named by its field.",
    "401": "No valid key (`Authorization: Token <key>`).",
    "403": "A signed-in user this operation is not for.",
    "404": "Nothing of the caller's by that name (another platform's object included).",
    "409": "A concurrent write conflicted (send it again), or the Idempotency-Key was used with another body.",
    "413": "The body is larger than this endpoint takes.",
    "415": "The body is in a media type this endpoint does not read (send application/json).",
    "429": "Too many requests: wait for the number of seconds in Retry-After.",
}


def _empty_allowed(schema: dict[str, Any]) -> dict[str, Any]:
    """A list's filter parameter also takes the empty value, which means no filter (`?stage=&status=`)."""
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]} if "" not in schema["enum"] else schema
    if schema.get("type") == "string" and not schema.get("format") and not schema.get("pattern"):
        return schema
    return {"anyOf": [schema, {"type": "string", "enum": [""]}]}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error responses every API operation may give (module docstring)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or not path.startswith("/api/"):
            return operation
        locations = {parameter.get("in") for parameter in operation.get("parameters", [])}
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter.get("name") not in ("limit", "offset"):
                parameter["schema"] = _empty_allowed(parameter["schema"])
        has_body = "requestBody" in operation
        codes = {"401": "ErrorDetail", "403": "ErrorDetail", "429": "ErrorDetail"}
        if has_body or locations & {"query", "header"}:
            codes["400"] = "ValidationError"
        if "path" in locations:
            codes["404"] = "ErrorDetail"
        if has_body:
            codes.update({"409": "Conflict", "413": "ErrorDetail", "415": "ErrorDetail"})
        responses = operation.setdefault("responses", {})
        for code, name in sorted(codes.items()):
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": self._error_component(name)}},
                    "description": _DESCRIPTIONS[code],
                }
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A list of nested objects says how many items it takes (DRF checks `allow_empty`, `min_length` and
        `max_length` itself, not through validators, so drf-spectacular leaves them out)."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and isinstance(schema, dict) and schema.get("type") == "array":
            minimum = field.min_length if field.min_length is not None else (0 if field.allow_empty else 1)
            if minimum:
                schema["minItems"] = minimum
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _error_component(self, name: str) -> dict[str, Any]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=ERROR_SCHEMAS[name])
        self.registry.register_on_missing(component)
        return component.ref
