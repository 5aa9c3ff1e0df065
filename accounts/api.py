"""Helpers shared by every platform API view: who is calling, and what they may see."""

from __future__ import annotations

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
