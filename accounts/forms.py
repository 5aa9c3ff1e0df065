"""Forms for signing in, choosing the interface language, and one's personal settings."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User


class SignInForm(AuthenticationForm):
    """Django's authentication form with the attributes browsers and password managers expect."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PersonalSettingsForm(forms.ModelForm):
    """A user's own language and time zone; a blank zone follows the team's (else the site's)."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = User
        fields = ["language", "timezone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_zone = (self.instance.team.timezone if self.instance.team_id and self.instance.team else "") or (
            settings.TIME_ZONE
        )
        zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
        if "UTC" not in zones:
            zones.append("UTC")
        choices = [("", _("My team's: %(zone)s") % {"zone": team_zone}), *((z, z) for z in zones)]
        if self.instance.timezone and self.instance.timezone not in zones:
            choices.append((self.instance.timezone, self.instance.timezone))
        self.fields["timezone"].choices = choices  # type: ignore[attr-defined]
