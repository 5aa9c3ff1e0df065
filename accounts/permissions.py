from rest_framework.permissions import BasePermission

from .authentication import PlatformPrincipal


class IsPlatformOrStaff(BasePermission):
    """A platform key, or a signed-in staff user using the API through their session."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if isinstance(user, PlatformPrincipal):
            return True
        return bool(user and user.is_authenticated and user.is_staff)
