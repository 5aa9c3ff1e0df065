from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .api_ping import PingApi

urlpatterns = [path("ping/", PingApi.as_view(), name="api-ping")]


class PlatformTokenScheme(OpenApiAuthenticationExtension):
    """Describes `Authorization: Token <key>` in /api/schema/ (registered on import, with the API urls)."""

    target_class = "accounts.authentication.PlatformTokenAuthentication"
    name = "platformToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A platform key: `Token <key>` (from `manage.py create_platform`).",
        }
