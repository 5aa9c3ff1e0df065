from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import Platform, hash_api_key


class PlatformPrincipal:
    """The authenticated caller of the platform API: a platform, never a person."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, platform: Platform):
        self.platform = platform
        self.pk = None
        self.id = None

    def __str__(self) -> str:
        return f"platform:{self.platform.name}"


class PlatformTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        platform = Platform.objects.filter(api_key_hash=hash_api_key(key), is_active=True).first()
        if platform is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        request.platform = platform
        return PlatformPrincipal(platform), key

    def authenticate_header(self, request) -> str:
        return self.keyword
