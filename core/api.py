"""Helpers every API view may use: bounded pagination, bulk bodies and per-row errors."""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.pagination import BasePagination, LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    """The project's limit/offset pagination, bounded: an absurd `limit` or `offset` must not reach SQL."""

    max_limit = 1000
    max_offset = 2**62

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)


class PlatformApiMixin:
    """Bounded pagination for the platform API's lists.

    (History under a platform key is handled once, by core.middleware.HistoryRequestMiddleware.)
    """

    pagination_class: type[BasePagination] | None = ApiPagination  # GenericAPIView's type, for the views mixing this in


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
    # Kept for the views that still test it: a body over the limit is now refused (413) before they run.
    body_too_big = False

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

    def body_too_big_message(self) -> str:
        return body_limit_message(self.max_body_bytes)
