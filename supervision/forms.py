"""Forms of the supervision pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Platform, Role, Team, User
from borrowers.models import Channel
from cases.models import Stage
from compliance.rules import MESSAGES
from contacts.models import Outcome
from outreach.models import Strategy, StrategyKind

from .audit import AuditFilters, Result
from .models import AgencyContract, QualityReview

# ISO whatever the language: an <input type=date> takes only yyyy-mm-dd (zh-hans would render 2026/11/25,
# which the browser drops, leaving the field empty).
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoundedDateField(forms.DateField):
    """A date between 1900 and 9000, as the API takes them: the pages turn a date into the bounds of its
    day in a time zone, and 9999-12-31 plus a day (or 0001-01-01 in UTC+8) overflowed into a 500."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        message = _("Enter a date between 1900 and 9000.")
        self.validators += [
            MinValueValidator(dt.date(1900, 1, 1), message=message),
            MaxValueValidator(dt.date(9000, 1, 1), message=message),
        ]


RESULT_CHOICES = [
    ("", _("Any result")),
    (Result.ALLOWED, _("Allowed")),
    (Result.BLOCKED, _("Blocked")),
    (Result.OVERRIDDEN, _("Overridden")),
    (Result.NOT_GATED, _("Not gated (inbound)")),
]


def _people() -> Any:
    return User.objects.filter(
        role__in=[Role.COLLECTOR, Role.AGENCY_COLLECTOR, Role.SUPERVISOR], is_active=True
    ).order_by("username")


class AuditFilterForm(forms.Form):
    collector = forms.ModelChoiceField(label=_("Collector"), queryset=User.objects.none(), required=False)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.all(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any channel")), *Channel.choices], required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("Any outcome")), *Outcome.choices], required=False)
    result = forms.ChoiceField(label=_("Result"), choices=RESULT_CHOICES, required=False)
    rule = forms.ChoiceField(
        label=_("Rule"), choices=[("", _("Any rule"))] + [(code, code) for code in sorted(MESSAGES)], required=False
    )
    date_from = BoundedDateField(label=_("From"), required=False, widget=DATE)
    date_to = BoundedDateField(label=_("To"), required=False, widget=DATE)
    borrower = forms.CharField(label=_("Borrower"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[User]", self.fields["collector"]).queryset = _people()
        self.fields["borrower"].widget.attrs["placeholder"] = _("External id or name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filters(self, *, zone: str) -> AuditFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return AuditFilters(
            collector=data.get("collector"),
            agency=data.get("agency"),
            team=data.get("team"),
            channel=data.get("channel") or "",
            outcome=data.get("outcome") or "",
            result=data.get("result") or "",
            rule=data.get("rule") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            borrower=data.get("borrower") or "",
            zone=zone,
        )


class EvidenceRunForm(forms.Form):
    SCOPE_RECENT = "recent"
    SCOPE_ALL = "all"
    scope = forms.ChoiceField(
        label=_("Check"),
        choices=[(SCOPE_RECENT, _("The most recently active chains")), (SCOPE_ALL, _("Every chain"))],
        initial=SCOPE_RECENT,
    )
    limit = forms.IntegerField(label=_("How many"), min_value=1, max_value=100000, initial=200)


class PlacementForm(forms.Form):
    case = forms.IntegerField(label=_("Case number"), min_value=1)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.filter(is_active=True))
    reason = forms.CharField(label=_("Reason"), max_length=500)


class BulkPlacementForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.filter(is_active=True))
    max_count = forms.IntegerField(label=_("At most"), min_value=1, max_value=5000, initial=20)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RecallForm(forms.Form):
    case = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AgencyContractForm(forms.ModelForm):
    class Meta:
        model = AgencyContract
        fields = ["agency", "commission_percent", "evaluation_due_on", "notes"]
        widgets = {"evaluation_due_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class SampleForm(forms.Form):
    date_from = BoundedDateField(label=_("Calls from"), widget=DATE)
    date_to = BoundedDateField(label=_("to"), widget=DATE)
    share_percent = forms.IntegerField(
        label=_("Share of each collector's calls (%)"), min_value=0, max_value=100, initial=5
    )
    seed = forms.IntegerField(label=_("Seed"), required=False, help_text=_("Same seed, same sample."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class QualityReviewForm(forms.ModelForm):
    class Meta:
        model = QualityReview
        fields = ["identity_verified", "disclosure_made", "tone", "no_prohibited_content", "correct_outcome", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3}), "tone": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Tone is always scored: no empty "---------" radio beside 1 to 5.
        tone = cast(forms.TypedChoiceField, self.fields["tone"])
        choices = cast(list[tuple[Any, Any]], list(cast(Any, tone.choices)))
        tone.choices = [(value, label) for value, label in choices if value != ""]


class ReassignForm(forms.Form):
    case = forms.IntegerField(label=_("Case number"), min_value=1)
    to_user = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args: Any, collectors: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[User]", self.fields["to_user"]).queryset = (
            collectors if collectors is not None else User.objects.none()
        )


class RebalanceForm(forms.Form):
    collector = forms.ModelChoiceField(label=_("Move the open cases of"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args: Any, collectors: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[User]", self.fields["collector"]).queryset = (
            collectors if collectors is not None else User.objects.none()
        )


class DashboardFilterForm(forms.Form):
    platform: forms.ModelChoiceField[Platform] = forms.ModelChoiceField(
        label=_("Platform"), queryset=None, required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    months = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        choices=[(3, _("Last 3 months")), (6, _("Last 6 months")), (12, _("Last 12 months"))],
        initial=6,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:

        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Platform]", self.fields["platform"]).queryset = Platform.objects.all()


class ExperimentForm(forms.Form):
    """Set up a challenger for a stage: the champion strategy (its own steps), the strategy whose steps the
    challenger arm sends, the traffic shares (adding up to 100) and the first day (UTC)."""

    name = forms.CharField(label=_("Experiment name"), max_length=200)
    strategy: forms.ModelChoiceField[Strategy] = forms.ModelChoiceField(
        label=_("Champion strategy"),
        queryset=None,
        help_text=_("The strategy under test: its champion arm sends its own steps."),
    )
    challenger_from: forms.ModelChoiceField[Strategy] = forms.ModelChoiceField(
        label=_("Challenger strategy"),
        queryset=None,
        help_text=_("The challenger arm sends a copy of this strategy's steps."),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("", _("Every stage"))] + [c for c in Stage.choices if c[0] != Stage.PRE_DUE],
        initial=Stage.M1,
        required=False,
        help_text=_("Cases are assigned to an arm while in this stage."),
    )
    champion_share = forms.IntegerField(label=_("Champion's share (%)"), min_value=1, max_value=99, initial=50)
    challenger_share = forms.IntegerField(label=_("Challenger's share (%)"), min_value=1, max_value=99, initial=50)
    starts_on = BoundedDateField(label=_("Starts on"), widget=DATE, help_text=_("Cases are assigned from this day."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        strategies = Strategy.objects.filter(kind=StrategyKind.DELINQUENCY, active=True).order_by("name")
        for name in ("strategy", "challenger_from"):
            field = cast("forms.ModelChoiceField[Strategy]", self.fields[name])
            field.queryset = strategies
            field.label_from_instance = lambda strategy: strategy.label  # type: ignore[assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shares = (data.get("champion_share"), data.get("challenger_share"))
        if None not in shares and sum(s for s in shares if s is not None) != 100:
            self.add_error("challenger_share", _("The traffic shares must add up to 100."))
        return data
