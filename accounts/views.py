"""Signing in and out, the language switch, and personal settings."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import LanguageForm, PersonalSettingsForm, SignInForm
from .http import AuthenticatedHttpRequest
from .models import Role
from .roles import Perm, permission_required


class SignInView(auth_views.LoginView):
    """The site's front door: the sign-in form for visitors, the work list for everyone signed in."""

    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Collectors spend their day in the work queue; everyone else starts from the case list (`home`).
        user = self.request.user
        if user.is_authenticated and user.role in (Role.COLLECTOR, Role.AGENCY_COLLECTOR):
            return reverse("queue")
        return super().get_default_redirect_url()


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language and remember it.

    Django's own `set_language` only writes the cookie; a signed-in user's `User.language` wins over
    the cookie (core.middleware.UserLanguageMiddleware), so it has to be saved on the user too.
    """
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or ""
    # Back to a path of this site (the switcher sends the page's own); anything else, such as `-1` or a
    # view name (which `redirect` would try to reverse, a 500 when it is none), goes to the start page.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("home") if request.user.is_authenticated else reverse("login")
    response = HttpResponseRedirect(next_url)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@permission_required(Perm.VIEW_CASES)  # every role holds it: any signed-in member of staff
def personal_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One's own language and time zone, used by every page (core.middleware.UserLanguageMiddleware)."""
    form = PersonalSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        translation.activate(user.language)
        messages.success(request, _("Your settings are saved."))
        response = redirect("personal-settings")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "accounts/settings.html", {"form": form})
