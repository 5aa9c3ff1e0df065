"""Helpers every API view may use: bounded pagination, bulk bodies and per-row errors."""

from __future__ import annotations

import io

from rest_framework.pagination import LimitOffsetPagination


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

    pagination_class = ApiPagination


def row_errors(errors) -> dict[str, dict]:
    """ListSerializer errors as `{"<row index>": {field: [...]}}` (DRF gives a dict by index or a list)."""
    items = errors.items() if isinstance(errors, dict) else enumerate(errors)
    return {str(i): e for i, e in items if e}


class LargeBodyMixin:
    """For the bulk endpoints: read a body above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, which stays the
    limit everywhere else), up to `max_body_bytes`; `body_too_big` tells the view to refuse it."""

    max_body_bytes = 64 * 1024 * 1024
    body_too_big = False

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST" and not hasattr(request, "_body") and not request._read_started:
            body = request.read(self.max_body_bytes + 1)
            self.body_too_big = len(body) > self.max_body_bytes
            request._body = b"" if self.body_too_big else body
            request._stream = io.BytesIO(request._body)
        return super().initialize_request(request, *args, **kwargs)

    def body_too_big_message(self) -> str:
        return f"The request body exceeds {self.max_body_bytes // 2**20} MB."
