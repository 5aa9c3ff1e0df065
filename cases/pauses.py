"""Delinquency pauses (as Apache Fineract's): stop a loan's delinquency clock for a period.

A pause covers `starts_on` through `ends_on` (both inclusive; no end: until ended). While it covers a day
the loan's DPD does not grow (the refresh subtracts the paused days, cases.delinquency), so its stage
stands still; a backdated pause recomputes the DPD at once. Reminders and every other outbound action
about the loan stop through a hold of kind `paused` written with the pause, on the loan, for the
pause's days in the borrower's own zone: the gate blocks with the reason code `hold_paused` (recorded on
the decision) and the planner plans nothing for a held case.

The pause and its hold end together, whichever side is ended: `loan_pause_end` lifts the hold, and
lifting the hold from outside (`PATCH /api/v1/holds/{id}/`) ends the pause through `pause_hold_end`.

Pauses of one loan never overlap: an overlapping pause is rejected (400 on `starts_on`), so a retried
POST cannot double a pause and the paused days are a plain sum.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from borrowers.models import Borrower, Hold, HoldKind
from borrowers.services import hold_create, hold_lift
from borrowers.zones import UTC, local_day, primary_zone, start_of_local_day

from .delinquency import refresh_delinquency
from .events import case_event_record
from .models import Case, CaseEvent, CaseStatus, Loan, LoanPause


def _zone(borrower: Borrower) -> str:
    return primary_zone(borrower_tz=borrower.timezone, region=borrower.region) or "UTC"


def _hold_bounds(
    borrower: Borrower, starts_on: dt.date, ends_on: dt.date | None
) -> tuple[dt.datetime, dt.datetime | None]:
    """The pause's days as instants on the borrower's clock: from the start of its first day to the start
    of the day after its last."""
    zone = _zone(borrower)
    ends_at = start_of_local_day(ends_on + dt.timedelta(days=1), zone) if ends_on else None
    return start_of_local_day(starts_on, zone).astimezone(UTC), ends_at


def _check(loan: Loan, starts_on: dt.date, ends_on: dt.date | None, *, exclude: int | None = None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": [_("A pause cannot end before it starts.")]})
    others = LoanPause.objects.filter(loan=loan)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    # Two ranges overlap when each starts before the other ends (an open end never ends).
    overlapping = others.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError({"starts_on": [_("This pause overlaps another pause of the loan.")]})


def _open_case_id(loan: Loan) -> int | None:
    return Case.objects.filter(loan=loan, status=CaseStatus.OPEN).values_list("pk", flat=True).first()


@transaction.atomic
def loan_pause_create(
    *, loan: Loan, starts_on: dt.date, reason: str, ends_on: dt.date | None = None, user: User | None = None
) -> LoanPause:
    """Pause the loan's delinquency clock (backdated or not) and refresh its DPD now."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the loan is paused.")]})
    # Pauses of one loan are written one after the other: the overlap check sees the one before.
    loan = Loan.objects.select_for_update().select_related("borrower").get(pk=loan.pk)
    _check(loan, starts_on, ends_on)
    starts_at, ends_at = _hold_bounds(loan.borrower, starts_on, ends_on)
    hold = hold_create(
        borrower=loan.borrower,
        kind=HoldKind.PAUSED,
        loan=loan,
        starts_at=starts_at,
        ends_at=ends_at,
        note=reason,
        created_by=user,
    )
    pause = LoanPause.objects.create(
        loan=loan, starts_on=starts_on, ends_on=ends_on, reason=reason, hold=hold, created_by=user
    )
    case_id = _open_case_id(loan)
    if case_id is not None:
        case_event_record(
            case_id=case_id,
            kind=CaseEvent.Kind.PAUSED,
            new=f"{starts_on} – {ends_on or '…'}",
            reason=reason,
            actor=user,
            data={"pause": pause.pk, "starts_on": starts_on.isoformat(), "ends_on": ends_on and ends_on.isoformat()},
        )
    refresh_delinquency(loan_ids=[loan.pk])
    return pause


@transaction.atomic
def loan_pause_end(*, pause: LoanPause, ends_on: dt.date, user: User | None = None) -> LoanPause:
    """End a pause on `ends_on` (its last paused day; early or late), with its hold, and refresh the DPD."""
    loan = Loan.objects.select_for_update().select_related("borrower").get(pk=pause.loan_id)
    pause = LoanPause.objects.select_for_update().get(pk=pause.pk)
    previous = pause.ends_on
    if previous == ends_on:
        return pause  # a retry: already ended on that day, with its hold
    _check(loan, pause.starts_on, ends_on, exclude=pause.pk)
    pause.ends_on = ends_on
    pause.save(update_fields=["ends_on"])
    if pause.hold_id is not None:
        hold = Hold.objects.get(pk=pause.hold_id)
        hold_lift(hold=hold, ends_at=_hold_bounds(loan.borrower, pause.starts_on, ends_on)[1])
    case_id = _open_case_id(loan)
    if case_id is not None:
        case_event_record(
            case_id=case_id,
            kind=CaseEvent.Kind.PAUSE_ENDED,
            old=str(previous or ""),
            new=str(ends_on),
            actor=user,
            data={"pause": pause.pk},
        )
    refresh_delinquency(loan_ids=[loan.pk])
    return pause


def pause_hold_end(*, hold: Hold, ends_at: dt.datetime | None = None, user: User | None = None) -> Hold:
    """Lift a pause's hold from outside (the holds API, borrowers.services.hold_end): the pause ends with it,
    through `loan_pause_end`, so the DPD grows again from the right day and nothing is lifted twice.

    A pause is whole days on the borrower's clock: its last paused day is the day that holds the instant
    just before `ends_at` (default now), so the hold ends at the start of the next day -- never before the
    time asked, so a borrower's protection is never cut shorter than the platform said."""
    pause = LoanPause.objects.filter(hold=hold).select_related("loan__borrower").first()
    if pause is None:  # a hold of kind paused written by hand, without a pause
        return hold_lift(hold=hold, ends_at=ends_at)
    ends_at = ends_at or timezone.now()
    last_day = local_day(ends_at - dt.timedelta(microseconds=1), _zone(pause.loan.borrower))
    if last_day < pause.starts_on:
        raise ValidationError({"ends_at": [_("The hold cannot end before it starts.")]})
    try:
        loan_pause_end(pause=pause, ends_on=last_day, user=user)
    except ValidationError as error:
        # The pause's own fields mean nothing to a caller of the holds API: the time asked is what is wrong.
        raise ValidationError({"ends_at": error.messages}) from error
    return Hold.objects.get(pk=hold.pk)


def loan_pause_active(loan: Loan, day: dt.date) -> LoanPause | None:
    """The pause covering `day`, if any (pauses never overlap)."""
    return (
        LoanPause.objects.filter(loan=loan, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .first()
    )
