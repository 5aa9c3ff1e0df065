"""Helpers shared by every platform API view: who is calling, and what they may see."""

from __future__ import annotations

import io

from rest_framework.exceptions import NotFound

from .authentication import PlatformPrincipal
from .models import Platform


def request_platform(request) -> Platform | None:
    """The calling platform; None for a staff user on a session (who may see every platform)."""
    user = request.user
    if isinstance(user, PlatformPrincipal):
        return user.platform
    return None


def restrict_to_platform(queryset, request, field: str = "platform"):
    """The one place the API narrows a queryset to the caller's platform."""
    platform = request_platform(request)
    if platform is None:
        return queryset
    return queryset.filter(**{field: platform})


def get_platform_object(queryset, request, field: str = "platform", **lookup):
    obj = restrict_to_platform(queryset, request, field).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj


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
