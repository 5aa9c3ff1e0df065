"""Helpers every API view may use: bounded pagination, bulk bodies and per-row errors, the JSON parser."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from django.conf import settings
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, ParseError, ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.parsers import JSONParser


class ApiPagination(LimitOffsetPagination):
    """The project's limit/offset pagination, bounded: an absurd `limit` or `offset` must not reach SQL.

    `limit` is a whole number from 1 (above `max_limit`: `max_limit`), `offset` one from 0 (above
    `max_offset`: `max_offset`); anything else is a 400 naming the parameter, as the schema says (DRF
    silently fell back to the defaults).
    """

    max_limit = 1000
    max_offset = 2**62

    def get_limit(self, request):
        return min(
            self._whole_number(request, self.limit_query_param, minimum=1, default=self.default_limit), self.max_limit
        )

    def get_offset(self, request):
        return min(self._whole_number(request, self.offset_query_param, minimum=0, default=0), self.max_offset)

    @staticmethod
    def _whole_number(request, name: str, *, minimum: int, default):
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError({name: [f"Enter a whole number of at least {minimum}."]})
        digits = raw.lstrip("0") or "0"
        value = int(digits) if len(digits) <= 30 else 10**30  # longer: beyond every bound (and cheap to read)
        if value < minimum:
            raise ValidationError({name: [f"Enter a whole number of at least {minimum}."]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1)
                parameter["description"] += f" At most {self.max_limit}: more is read as {self.max_limit}."
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0)
        return parameters


# --- times in query parameters -------------------------------------------------------------------------------

# RFC 3339, the schema's `date-time`: a date, `T`, a time with seconds (and maybe a fraction), the offset.
RFC3339 = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)\Z")
RFC3339_MESSAGE = "Enter a time as YYYY-MM-DDThh:mm:ss with its offset (Z or ±hh:mm)."
_FIRST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


def parse_rfc3339_utc(value: str) -> dt.datetime | None:
    """An RFC 3339 time as an aware UTC datetime, or None when `value` is not one.

    A time that UTC cannot hold (`9999-12-31T23:59:59-14:00` is in the year 10000 there, where converting
    it overflowed into a 500) is the first or last instant it can: as a filter bound it means everything
    or nothing, which is what the caller asked.
    """
    if not RFC3339.match(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:  # a 30th of February, an hour 24
        return None
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        return _FIRST if parsed.year < 5000 else _LAST


class TimeFilterField(serializers.Field):
    """A time filter of a list (`?since=`): RFC 3339 with its offset, compared in UTC; empty means none."""

    default_error_messages = {"invalid": RFC3339_MESSAGE}

    def to_internal_value(self, data):
        if data == "":
            return None
        parsed = parse_rfc3339_utc(data) if isinstance(data, str) else None
        if parsed is None:
            self.fail("invalid")
        return parsed

    def to_representation(self, value):
        return value.isoformat()


class PlatformApiMixin:
    """Bounded pagination for the platform API's lists, and no lookup by a value no row can hold.

    A path value with a NUL character (`/borrowers/a%00b/`) names nothing: PostgreSQL refuses NUL in text,
    so looking it up was a database error (a 500). It is a 404 once the caller is authenticated.

    (History under a platform key is handled once, by core.middleware.HistoryRequestMiddleware.)
    """

    pagination_class: type[BasePagination] | None = ApiPagination  # GenericAPIView's type, for the views mixing this in

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any(isinstance(value, str) and "\x00" in value for value in kwargs.values()):
            raise NotFound()


def row_errors(errors) -> dict[str, dict]:
    """ListSerializer errors as `{"<row index>": {field: [...]}}` (DRF gives a dict by index or a list)."""
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    return {str(i): e for i, e in items if e}


def body_limit_message(limit: int) -> str:
    return f"The request body exceeds {limit / 2**20:g} MB."


class RequestBodyTooLarge(APIException):
    """413 in the API's `{detail}` shape. Everywhere but the bulk endpoints the limit is Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which accounts.api_errors turns into this exception."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int | None = None) -> None:
        super().__init__(body_limit_message(limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


def declared_length(request) -> int:
    """The Content-Length the client announced (0 when absent or not a number)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class LargeBodyMixin:
    """For the bulk endpoints: accept a body above DATA_UPLOAD_MAX_MEMORY_SIZE, up to `max_body_bytes`.

    Nothing is read before DRF has authenticated the caller and checked permissions and throttles
    (`initial`), so an anonymous client cannot make the server take in 64 MB to be told 401. A body
    announced or found to be larger than the limit answers 413; one announced too large is not read.
    """

    max_body_bytes = 64 * 1024 * 1024

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            self._read_body(request._request)

    def _read_body(self, django_request) -> None:
        if hasattr(django_request, "_body") or django_request._read_started:
            return
        if declared_length(django_request) > self.max_body_bytes:
            raise RequestBodyTooLarge(self.max_body_bytes)
        # Bounded even if the server hands over more than was announced.
        body = django_request.read(self.max_body_bytes + 1)
        if len(body) > self.max_body_bytes:
            raise RequestBodyTooLarge(self.max_body_bytes)
        # Set here, Django's own `body` (and its DATA_UPLOAD_MAX_MEMORY_SIZE check) is skipped.
        django_request._body = body
        django_request._stream = io.BytesIO(body)


# --- JSON bodies --------------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 32
# The bracket skeleton of a UTF-8 body: brackets and string quotes only, every `{}` counted as `[]`.
_SKELETON_TABLE = bytes.maketrans(b"{}", b"[]")
_SKELETON_DELETE = bytes(b for b in range(256) if b not in b'[]{}"')


def _walk_depth(data: Any, limit: int) -> int:
    """How deep the arrays and objects of a parsed value nest, counted up to limit + 1 (no recursion)."""
    if type(data) is not dict and type(data) is not list:
        return 0
    deepest = 1
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                if depth + 1 > limit:
                    return limit + 1
                deepest = max(deepest, depth + 1)
                stack.append((child, depth + 1))
    return deepest


def json_depth(raw: bytes, data: Any, limit: int, encoding: str = "utf-8") -> int:
    """How deep the arrays and objects of a JSON body nest, counted up to limit + 1.

    Walking the parsed value costs half as much as parsing it (10,000 loans), so a UTF-8 body is measured
    on its bytes, in C: escaped backslashes and quotes dropped, then everything but brackets and the quotes
    around strings, then the strings (empty by now); each pass that deletes every innermost `[]` is one
    level. A string holding brackets (quotes remain) or another encoding falls back to the walk.
    """
    if encoding.lower().replace("-", "") != "utf8":
        return _walk_depth(data, limit)
    if b"\\" in raw:
        # Left to right, a run of backslashes in a JSON string pairs up exactly as its escapes do.
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = raw.translate(_SKELETON_TABLE, _SKELETON_DELETE).replace(b'""', b"")
    if b'"' in skeleton:
        return _walk_depth(data, limit)
    for depth in range(limit + 1):
        if not skeleton:
            return depth
        skeleton = skeleton.replace(b"[]", b"")
    return limit + 1


class JsonParser(JSONParser):
    """DRF's JSON parser with a nesting limit: a body whose arrays and objects nest deeper than
    MAX_JSON_DEPTH levels is a 400 `{detail}`, as is one so deep that the parser itself runs out of stack
    (its RecursionError was a 500). The API's deepest body (a bulk upload) nests five levels; within the
    limit nothing downstream (validation, idempotency hashing, error rendering) recurses far enough to fail."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError(self.too_deep_message())
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        if json_depth(raw, data, self.max_depth, encoding) > self.max_depth:
            raise ParseError(self.too_deep_message())
        return data

    def too_deep_message(self) -> str:
        return f"JSON parse error - arrays and objects nested more than {self.max_depth} levels deep."


# --- not found ----------------------------------------------------------------------------------------------


def not_found(request, exception):
    """Django's 404 for a path no URL matches (`handler404`): `{detail}` in JSON under /api/, as every
    other API error, and the site's page elsewhere. (`/api/v1/cases/abc/` matches no route: its id must
    be a number.)"""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
