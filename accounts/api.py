"""Helpers shared by every platform API view: who is calling, and what they may see.

Rows are narrowed by each model family's `visible_to(principal)` (accounts.roles): a platform key sees
its own platform's rows, a staff user on a session exactly what their role shows them on the pages.
Whatever the caller may not see does not exist: 404, never 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound

from .models import Platform
from .roles import principal_platform


def request_platform(request) -> Platform | None:
    """The calling platform; None for a staff user on a session."""
    return principal_platform(request.user)


def api_rows(queryset: Any, request) -> Any:
    """The rows of `queryset` the caller may see (the model's `visible_to`)."""
    return queryset.visible_to(request.user)


def api_object(queryset: Any, request, **lookup: Any) -> Any:
    """The caller's object matching `lookup`, or 404 (also for one they may not see)."""
    obj = api_rows(queryset, request).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj
