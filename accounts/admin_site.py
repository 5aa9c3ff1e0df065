"""The admin site, behind the role matrix: only those who may administer (accounts.roles) open it.

Django's own check (an active staff user) still applies first; a staff supervisor, for instance, is
sent to the admin's sign-in page like a visitor, as Django does for anyone it refuses. Installed by
`accounts.apps.AdminConfig` in place of `django.contrib.admin`.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .roles import Perm, can


class RoleAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and can(request.user, Perm.ADMINISTER)
