"""Forms of the collector's workspace. Contact points are named by id ("phone:12"), never by value:
agency collectors see masked numbers and still work the case, and a posted value cannot smuggle in a
number that is not the borrower's."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from borrowers.models import Borrower, Channel, HoldKind
from contacts.models import Outcome
from outreach.models import MessageTemplate

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from compliance.preview import Verdict

# What a collector may record after a call or a visit (delivery outcomes belong to gateways).
CALL_OUTCOMES = [
    (o.value, o.label)
    for o in (
        Outcome.NO_ANSWER,
        Outcome.BUSY,
        Outcome.VOICEMAIL,
        Outcome.WRONG_NUMBER,
        Outcome.CONNECTED,
        Outcome.RIGHT_PARTY,
        Outcome.PROMISE,
        Outcome.REFUSED,
        Outcome.DISPUTE,
        Outcome.THIRD_PARTY_REACHED,
    )
]
VISIT_OUTCOMES = [
    (o.value, o.label)
    for o in (
        Outcome.NO_ANSWER,
        Outcome.RIGHT_PARTY,
        Outcome.PROMISE,
        Outcome.REFUSED,
        Outcome.DISPUTE,
        Outcome.THIRD_PARTY_REACHED,
    )
]
# Holds a borrower can ask for on a call; bankruptcy or death come from documents, through the API.
BORROWER_HOLDS = [
    (k.value, k.label)
    for k in (HoldKind.CEASE, HoldKind.DISPUTE, HoldKind.ATTORNEY, HoldKind.NO_WORK_CONTACT, HoldKind.BREATHING_SPACE)
]


def resolve_point(borrower: Borrower, point: str, channel: str) -> str | None:
    """The number or address a form's contact point names, or None if it is not this borrower's."""
    kind, _sep, pk = point.partition(":")
    if kind == "phone" and channel in (Channel.CALL, Channel.SMS) and pk.isdigit():
        phone = next((p for p in borrower.phones.all() if p.pk == int(pk)), None)
        return phone.number if phone else None
    if kind == "email" and channel == Channel.EMAIL and pk.isdigit():
        email = next((e for e in borrower.emails.all() if e.pk == int(pk)), None)
        return email.address if email else None
    if point == "address" and channel in (Channel.LETTER, Channel.VISIT):
        return borrower.address.strip() or None
    return None


class PointForm(forms.Form):
    """Base: a contact point among the ones offered (allowed now, or any for a supervisor)."""

    point = forms.ChoiceField(label=_("Contact point"))

    def __init__(self, *args: Any, points: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["point"]).choices = points


class CallStartForm(PointForm):
    pass


class CallOutcomeForm(forms.Form):
    """What happened on a call, in one pass: a promise's amount and date with the "promise" outcome (the
    promise is created with the outcome), and a callback the borrower asked for."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CALL_OUTCOMES)
    duration_s = forms.IntegerField(label=_("Duration (seconds)"), min_value=0, max_value=36000, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    promise_amount = forms.DecimalField(
        label=_("Promised amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    promise_due_date = forms.DateField(
        label=_("Pay by"),
        required=False,
        # ISO whatever the language: the browser's date input reads and writes YYYY-MM-DD only.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    callback_at = forms.DateTimeField(
        label=_("Call back at (your time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    # The call script's disclosures, ticked as they are read (choices: outreach.call_scripts); the field
    # is dropped when the call shows none (a visit, a pack without a script).
    disclosures = forms.MultipleChoiceField(
        label=_("Read to the borrower"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, disclosures: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if disclosures:
            cast(forms.MultipleChoiceField, self.fields["disclosures"]).choices = disclosures
        else:
            del self.fields["disclosures"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == Outcome.PROMISE:
            if data.get("promise_amount") is None and "promise_amount" not in self.errors:
                self.add_error("promise_amount", _("A promise to pay needs the amount."))
            if data.get("promise_due_date") is None and "promise_due_date" not in self.errors:
                self.add_error("promise_due_date", _("A promise to pay needs the date."))
        return data


# What a call the borrower made to us can end with (nobody records "no answer" on their own call).
INBOUND_OUTCOMES = [
    (o.value, o.label)
    for o in (Outcome.RIGHT_PARTY, Outcome.PROMISE, Outcome.REFUSED, Outcome.DISPUTE, Outcome.CONNECTED)
]


class InboundCallForm(CallOutcomeForm):
    """A call the borrower made to us, recorded after it through the gate's inbound path (recorded, never
    judged): the number it came from, its outcome, a promise in the same pass, a callback asked for."""

    point = forms.ChoiceField(label=_("Called from"), required=False)

    def __init__(self, *args: Any, points: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["point"]).choices = [("", _("A number not on file, or withheld")), *points]
        cast(forms.ChoiceField, self.fields["outcome"]).choices = INBOUND_OUTCOMES
        self.order_fields(["point", "outcome"])


class TemplateChoiceField(forms.ModelChoiceField):
    """A seeded template by its name in the reader's language, with the language it is written in."""

    def label_from_instance(self, obj: MessageTemplate) -> str:
        return f"{obj.label} · {dict(settings.LANGUAGES).get(obj.language, obj.language)}"


class MessageForm(PointForm):
    template = TemplateChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none())
    verdicts: list[Verdict]  # set by the case page: why nothing is offered, when nothing is

    def __init__(self, *args: Any, channel: str, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The borrower's language first; English as a fallback when a template has no translation.
        templates = cast("forms.ModelChoiceField[MessageTemplate]", self.fields["template"])
        templates.queryset = MessageTemplate.objects.filter(
            channel=channel, active=True, language__in={language, "en"}
        ).order_by("code", "language")


class LetterForm(PointForm):
    notes = forms.CharField(label=_("What was sent"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(PointForm):
    second_collector = forms.ModelChoiceField(label=_("Second collector"), queryset=User.objects.none())
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VISIT_OUTCOMES)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        colleagues = User.objects.filter(
            is_active=True, role__in=(Role.COLLECTOR, Role.AGENCY_COLLECTOR, Role.SUPERVISOR)
        )
        # The second person of a visit works where the first does: the same agency, or the same team.
        # (Without a team, the others without one: what `team_id=None` has always meant to the ORM.)
        if user.agency_id:
            colleagues = colleagues.filter(agency_id=user.agency_id)
        elif user.team_id is not None:
            colleagues = colleagues.filter(team_id=user.team_id)
        else:
            colleagues = colleagues.filter(team_id__isnull=True)
        second = cast("forms.ModelChoiceField[User]", self.fields["second_collector"])
        second.queryset = colleagues.exclude(pk=user.pk).order_by("username")


class PromiseForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    due_date = forms.DateField(label=_("Pay by"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class HoldForm(forms.Form):
    kind = forms.ChoiceField(label=_("Hold"), choices=BORROWER_HOLDS)
    this_loan_only = forms.BooleanField(label=_("This loan only"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OptOutForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.LETTER)],
    )
    point = forms.ChoiceField(label=_("Only this number or address"), required=False)

    def __init__(self, *args: Any, points: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["point"]).choices = [("", _("The whole channel")), *points]


class OverrideForm(forms.Form):
    decision = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the override"), widget=forms.Textarea(attrs={"rows": 2}))


class TaskCloseForm(forms.Form):
    """Done or cancelled (a task), acknowledged (an alert): an optional word on what was done."""

    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class TaskReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Hand to"), queryset=User.objects.none())
    note = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, collectors: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[User]", self.fields["to_user"]).queryset = collectors
