import contextlib
import functools
import zoneinfo
from http import HTTPStatus
from typing import Any

import django_htmx.middleware as htmx
from csp import constants as csp_constants
from csp import middleware as csp_middleware
from csp import utils as csp_utils
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone, translation


class UserLanguageMiddleware:
    """A signed-in user's personal settings on every page (set after authentication): their chosen language
    wins over the browser's, and times are shown in their zone (`zone_name`: their own, else their team's,
    else the site's TIME_ZONE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if getattr(user, "language", None):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        zone = None
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
            zone = zoneinfo.ZoneInfo(getattr(user, "zone_name", "") or "")
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class _HistoryRequest:
    """The request as simple-history sees it: its `user` is a real User or anonymous.

    DRF puts the platform principal of an API key on the Django request; it is not a User, so
    simple-history could not store it as the history user. Read lazily, at save time, because DRF
    authenticates inside the view, after this middleware ran.
    """

    def __init__(self, request):
        self._request = request

    @property
    def user(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import AnonymousUser

        user = getattr(self._request, "user", None)
        return user if isinstance(user, get_user_model()) else AnonymousUser()

    def __getattr__(self, name):
        return getattr(self._request, name)


class HistoryRequestMiddleware:
    """simple-history's middleware, given the request through `_HistoryRequest`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from simple_history.models import HistoricalRecords

        HistoricalRecords.context.request = _HistoryRequest(request)
        try:
            return self.get_response(request)
        finally:
            with contextlib.suppress(AttributeError):
                del HistoricalRecords.context.request


# --- the platform API's short path -----------------------------------------------------------------------

API_PREFIX = "/api/v1/"


def is_keyed_api_call(request) -> bool:
    """A call of the platform API without a browser session: it authenticates by key in the view (DRF), so
    the session, the signed-in user, flash messages and htmx details are work it does not need. A staff
    session calling the API (its cookie present) takes the whole way, as a page does."""
    return request.path_info.startswith(API_PREFIX) and settings.SESSION_COOKIE_NAME not in request.COOKIES


class _BrowserOnly:
    """Runs the middleware it is mixed into for pages and session calls; a keyed API call goes straight on.

    What stays on every path is elsewhere in MIDDLEWARE: security headers and CSP, the language from
    Accept-Language (API error messages are translated), CSRF (DRF views are exempt; anything else is
    checked), the history user, metrics and the sign-in lockout."""

    get_response: Any
    async_capable = False  # the short path is written for the WSGI server the product runs under

    def __call__(self, request):
        if is_keyed_api_call(request):
            return self.get_response(request)
        return super().__call__(request)  # the Django middleware mixed in after this one


class SessionMiddleware(_BrowserOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(_BrowserOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_BrowserOnly, messages.MessageMiddleware):
    pass


class HtmxMiddleware(_BrowserOnly, htmx.HtmxMiddleware):
    pass


_PER_RESPONSE_CSP = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@functools.cache
def _settings_policies() -> tuple[str, str]:
    """The Content-Security-Policy and its report-only twin as the settings alone make them."""
    return csp_utils.build_policy(), csp_utils.build_policy(report_only=True)


@receiver(setting_changed, dispatch_uid="core_csp_policies_reset")
def _reset_settings_policies(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's, with the settings' policy built once per process instead of twice per response (the
    dearest middleware of an API call: ~0.4 ms of a `/ping/`'s ~2 ms of CPU). A response with a policy of its
    own (django-csp's decorators) or a request that used a nonce goes through django-csp unchanged; the
    others get the same headers under the same conditions (exempt, excluded prefixes, already set)."""

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE_CSP
        ):
            return super().process_response(request, response)
        if response.status_code in (HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.NOT_FOUND) and settings.DEBUG:
            return response
        for header, policy, exempt, setting in zip(
            (csp_constants.HEADER, csp_constants.HEADER_REPORT_ONLY),
            _settings_policies(),
            ("_csp_exempt", "_csp_exempt_ro"),
            ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
            strict=True,
        ):
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            exempt_or_set = header in response or getattr(response, exempt, False) is not False
            if policy and not exempt_or_set and not request.path_info.startswith(prefixes):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent gap.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
