"""Times the borrower named as inconvenient (Regulation F 1006.6(b)(1)(i); FCA CONC 7.9.4R; the same care
in every pack): one write path for the borrower portal and a collector's form on the case page. The gate
reads them from Borrower.inconvenient_times (rule borrower_preference, compliance.rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from borrowers.models import Borrower
from cases.events import case_event_record
from cases.models import Case, CaseEvent

MAX_WINDOWS = 7
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _hhmm(value: Any) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    text = str(value or "").strip()
    try:
        return dt.datetime.strptime(text, "%H:%M").strftime("%H:%M")
    except ValueError:
        raise ValidationError({"inconvenient_times": [gettext("Give times as HH:MM.")]}) from None


def clean_windows(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Windows in the stored form ({"start", "end", "days"?}, days sorted and distinct), or a
    ValidationError naming the field."""
    if len(windows) > MAX_WINDOWS:
        raise ValidationError({"inconvenient_times": [gettext("At most %(n)d times.") % {"n": MAX_WINDOWS}]})
    out: list[dict[str, Any]] = []
    for window in windows:
        start, end = _hhmm(window.get("start")), _hhmm(window.get("end"))
        days = sorted({int(d) for d in window.get("days") or []})
        if any(d not in range(7) for d in days):
            raise ValidationError({"inconvenient_times": [gettext("Days are 0 (Monday) to 6 (Sunday).")]})
        cleaned: dict[str, Any] = {"start": start, "end": end}
        if days and len(days) < 7:
            cleaned["days"] = days
        if cleaned not in out:
            out.append(cleaned)
    return out


def window_label(window: dict[str, Any]) -> str:
    """A window for people: "22:00-07:00" or "12:00-14:00 (Monday, Friday)"."""
    names = dict(WEEKDAYS)
    days = window.get("days")
    text = f"{window['start']}-{window['end']}"
    if days:
        text += " (" + ", ".join(str(names[d]) for d in days) + ")"
    return text


@transaction.atomic
def inconvenient_times_set(
    *, borrower: Borrower, windows: list[dict[str, Any]], case: Case | None, source: str, user: User | None = None
) -> Borrower:
    """Replace the borrower's inconvenient times; recorded in the borrower's history (who, and from where)
    and as an event on the case. `source`: "portal" (the borrower) or "collector"."""
    cleaned = clean_windows(windows)
    borrower = Borrower.objects.select_for_update().get(pk=borrower.pk)
    before = list(borrower.inconvenient_times or [])
    borrower.inconvenient_times = cleaned
    borrower._change_reason = f"inconvenient times ({source})"  # type: ignore[attr-defined]  # simple-history
    if user is not None:
        borrower._history_user = user  # type: ignore[attr-defined]  # simple-history
    borrower.save(update_fields=["inconvenient_times", "updated_at"])
    if case is not None:
        case_event_record(
            case_id=case.pk,
            kind=CaseEvent.Kind.CONTACT_TIMES,
            new=", ".join(window_label(w) for w in cleaned)[:100],
            actor=user,
            at=timezone.now(),
            data={"source": source, "before": before, "after": cleaned},
        )
    return borrower


class InconvenientTimeForm(forms.Form):
    """One window to add (from, until, on which days), or clear every window on file."""

    start = forms.TimeField(
        label=_("Not from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label=_("Until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    days = forms.TypedMultipleChoiceField(
        label=_("Only on these days (none: every day)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    clear = forms.BooleanField(label=_("Remove every time on file"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("clear") and (data.get("start") is None or data.get("end") is None):
            raise ValidationError(_("Give the time from which and until which not to contact."))
        return data

    def windows(self, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The borrower's windows after this form: none, or the current ones and the new one."""
        data = self.cleaned_data
        if data.get("clear"):
            return []
        window: dict[str, Any] = {"start": _hhmm(data["start"]), "end": _hhmm(data["end"])}
        if data.get("days"):
            window["days"] = data["days"]
        return [*current, window]
