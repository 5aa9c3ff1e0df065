import contextlib
import zoneinfo

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
