"""Who may call the platform API: a platform key, or a staff user on their session (accounts.roles)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from .authentication import PlatformPrincipal
from .roles import SAFE_METHODS, Perm, can


class IsPlatformOrStaff(BasePermission):
    """A platform key (its rows are narrowed by `visible_to`), or a signed-in staff user using the API
    through their session, who also needs the role-matrix permission the view names for the method:
    `read_permission` for GET, HEAD and OPTIONS (default `view_cases`), `write_permission` otherwise
    (default `work_case`). A view may set either to None: any staff user."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if isinstance(user, PlatformPrincipal):
            return True
        if not (user and user.is_authenticated and user.is_staff):
            return False
        if request.method in SAFE_METHODS:
            needed = getattr(view, "read_permission", Perm.VIEW_CASES)
        else:
            needed = getattr(view, "write_permission", Perm.WORK_CASE)
        return needed is None or can(user, needed)
