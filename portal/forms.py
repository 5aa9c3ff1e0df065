from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from borrowers.models import OptOut, Vulnerability


class DateOfBirthForm(forms.Form):
    answer = forms.DateField(
        label=_("Your date of birth"),
        help_text=_("As YYYY-MM-DD, e.g. 1985-04-23."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )


class NationalIdForm(forms.Form):
    answer = forms.CharField(
        label=_("The last four characters of your national id"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off", "autocapitalize": "characters"}),
    )


class AmountForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0.01)


class PromiseForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount you will pay"), max_digits=14, decimal_places=2, min_value=0.01)
    due_date = forms.DateField(label=_("Date you will pay by"), widget=forms.DateInput(attrs={"type": "date"}))


class OptOutForm(forms.Form):
    channel = forms.ChoiceField(label=_("Stop contact by"), choices=OptOut.OPT_OUT_CHANNELS)
    to = forms.CharField(
        label=_("Only this number or address (leave empty for all of them)"), required=False, max_length=254
    )


class DisputeForm(forms.Form):
    note = forms.CharField(
        label=_("Why do you dispute this debt?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class HardshipForm(forms.Form):
    vulnerabilities = forms.MultipleChoiceField(
        label=_("What applies to you?"), choices=Vulnerability.choices, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label=_("Anything else we should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MoreHelpForm(forms.Form):
    note = forms.CharField(
        label=_("What would you be able to pay, and when? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
