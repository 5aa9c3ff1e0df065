import contextlib

from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's (set after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", None):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


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
