"""The request a page behind `login_required` receives, as the type checker should see it."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An HttpRequest whose user is signed in. Only an annotation: Django never builds one, but a view
    behind `login_required` (or a check built on it) is only ever called with a `User` there, never
    `AnonymousUser`, so its `request.user` is typed as the project's User."""

    user: User
