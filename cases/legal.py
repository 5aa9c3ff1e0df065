"""Charge-off and the legal path of a case (issue 18 item 7).

**Write-off (charge-off).** A supervisor writes a loan off (`loan_write_off`): the balance outstanding that
day is recorded on the loan (`written_off_on`, `written_off_amount`), the case stays open and is shown as
written off, its automated reminders stop (outreach.planning freezes the case; a job already planned is
cancelled as obsolete) and the platform hears `case.written_off`. A payment received later is allocated
exactly as before and flagged `recovery` (cases.services): the dashboard sums recoveries per currency and
the platform hears `payment.recovered`. No approval step: writing off is a supervisor's own act (the
permission is the approval), recorded with who, when and why on the case's timeline and in the loan's history.

**The legal path** of the reference articles: 律师函 (legal referral with a lawyer letter) → 诉前调解
(pre-litigation mediation) → 诉讼 (litigation). Each step is a `LegalProceeding` (law firm, mediator or
court, its case number, dates, outcome) and the case's `legal_stage` is the step it is at. Steps only go
forward (a step may be skipped: a lender may sue without mediation); opening a step ends the one before
(a mediation still pending is recorded as failed). Every legal stage freezes the case's automated
reminders, the strategy's and a plan's (the lawyer letter replaces the nudges, then the mediator or the
court carries the conversation); collectors may still contact the borrower through the gate, which rules
on each action as for any case. An outcome that ends the path (settled, withdrawn, judgment for the
borrower) returns the case to ordinary collection; a failed mediation stays at mediation until a lawsuit
is filed; a judgment for the lender stays at litigation (enforcement). Every change is a case event and a
`case.legal_stage_changed` webhook.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from webhooks.models import EventType
from webhooks.services import event_emit

from .charges import cents
from .events import case_data, case_event_record
from .models import ZERO, Case, CaseEvent, CaseStatus, LegalProceeding, LegalStage, Loan, Payment

# The order of the legal path: a step may only move forward.
_ORDER = {LegalStage.NONE: 0, LegalStage.REFERRED: 1, LegalStage.MEDIATION: 2, LegalStage.LITIGATION: 3}
# Outcomes that end the legal path: the case goes back to ordinary collection.
PATH_ENDING_OUTCOMES = frozenset(
    {
        LegalProceeding.Outcome.SETTLED,
        LegalProceeding.Outcome.WITHDRAWN,
        LegalProceeding.Outcome.JUDGMENT_FOR_BORROWER,
    }
)


def _locked_open_case(case: Case) -> Case:
    case = Case.objects.select_for_update().select_related("loan", "borrower", "platform").get(pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise ValidationError({"case": [_("The case is closed.")]})
    return case


# --- write-off ----------------------------------------------------------------------------------------------


@transaction.atomic
def loan_write_off(*, case: Case, user: User | None, reason: str, on: dt.date | None = None) -> Loan:
    """Write the case's loan off (charge-off) for the balance outstanding now."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the loan is written off.")]})
    case = _locked_open_case(case)
    loan = Loan.objects.select_for_update().get(pk=case.loan_id)
    if loan.written_off_on is not None:
        raise ValidationError({"case": [_("The loan is already written off.")]})
    if loan.outstanding <= ZERO:
        raise ValidationError({"case": [_("Nothing is outstanding on the loan.")]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": [_("A write-off cannot lie in the future.")]})
    loan.written_off_on = on
    loan.written_off_amount = loan.outstanding
    loan.save(update_fields=["written_off_on", "written_off_amount", "updated_at"])
    case.loan = loan
    amount = f"{loan.written_off_amount} {loan.currency}"
    case_event_record(
        case_id=case.pk,
        kind=CaseEvent.Kind.WRITTEN_OFF,
        new=amount,
        reason=reason,
        actor=user,
        data={"written_off_on": on.isoformat(), "amount": str(loan.written_off_amount), "currency": loan.currency},
    )
    event_emit(
        platform=case.platform,
        type=EventType.CASE_WRITTEN_OFF,
        data={
            **case_data(case),
            "written_off_on": on.isoformat(),
            "written_off_amount": str(loan.written_off_amount),
        },
    )
    return loan


def recoveries_announce(payments: list[Payment]) -> None:
    """`payment.recovered` for each recovery among `payments` (recorded in the caller's transaction), with
    the loan's recoveries so far. A payment on a loan not written off announces nothing."""
    recoveries = [p for p in payments if p.recovery]
    if not recoveries:
        return
    loan_ids = {p.loan_id for p in recoveries}
    loans = Loan.objects.select_related("platform").in_bulk(loan_ids)
    totals = dict(
        Payment.objects.filter(loan_id__in=loan_ids, recovery=True)
        .values("loan_id")
        .annotate(total=Sum("amount"))
        .values_list("loan_id", "total")
    )
    case_ids = dict(Case.objects.filter(loan_id__in=loan_ids, status=CaseStatus.OPEN).values_list("loan_id", "pk"))
    for payment in recoveries:
        loan = loans[payment.loan_id]
        data = recovery_data(payment=payment, loan=loan, recovered_total=totals.get(loan.pk) or ZERO)
        data["case"] = case_ids.get(loan.pk)
        event_emit(platform=loan.platform, type=EventType.PAYMENT_RECOVERED, data=data)


def recovery_data(*, payment: Any, loan: Loan, recovered_total: Decimal) -> dict[str, Any]:
    """The `payment.recovered` webhook's data: the payment, and the loan's charge-off and recoveries so far."""
    return {
        "payment": payment.external_id,
        "loan": loan.external_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "paid_at": payment.paid_at.isoformat(),
        "written_off_on": loan.written_off_on.isoformat() if loan.written_off_on else None,
        "written_off_amount": str(loan.written_off_amount),
        # A sum comes back as Decimal("250") from SQLite: the amount is always written with its cents.
        "recovered_total": str(cents(recovered_total)),
    }


# --- the legal path -----------------------------------------------------------------------------------------


def proceeding_data(proceeding: LegalProceeding) -> dict[str, Any]:
    return {
        "id": proceeding.pk,
        "kind": proceeding.kind,
        "forum": proceeding.forum,
        "reference": proceeding.reference,
        "started_on": proceeding.started_on.isoformat(),
        "next_date": proceeding.next_date.isoformat() if proceeding.next_date else None,
        "ended_on": proceeding.ended_on.isoformat() if proceeding.ended_on else None,
        "outcome": proceeding.outcome,
        "amount_awarded": str(proceeding.amount_awarded) if proceeding.amount_awarded is not None else None,
    }


def _announce(case: Case, previous: str, proceeding: LegalProceeding, *, user: User | None, kind: str) -> None:
    case_event_record(
        case_id=case.pk,
        kind=kind,
        old=previous,
        new=case.legal_stage if kind == CaseEvent.Kind.LEGAL_STAGE_CHANGED else proceeding.outcome,
        reason=proceeding.notes,
        actor=user,
        data={"proceeding": proceeding_data(proceeding)},
    )
    event_emit(
        platform=case.platform,
        type=EventType.CASE_LEGAL_STAGE_CHANGED,
        data={
            **case_data(case),
            "legal_stage": case.legal_stage,
            "previous_legal_stage": previous,
            "proceeding": proceeding_data(proceeding),
        },
    )


@transaction.atomic
def legal_step_open(
    *,
    case: Case,
    kind: str,
    forum: str,
    started_on: dt.date,
    user: User | None,
    reference: str = "",
    next_date: dt.date | None = None,
    notes: str = "",
) -> LegalProceeding:
    """Move the case to the next step of its legal path: a referral (law firm), a mediation (mediator) or
    a lawsuit (court), ending the step before."""
    if kind not in LegalProceeding.Kind.values:
        raise ValidationError({"kind": [_("Unknown legal step.")]})
    forum = (forum or "").strip()
    if not forum:
        raise ValidationError({"forum": [_("Name the law firm, the mediator or the court.")]})
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": [_("A step cannot start in the future.")]})
    if next_date is not None and next_date < started_on:
        raise ValidationError({"next_date": [_("The next date cannot lie before the start.")]})
    case = _locked_open_case(case)
    previous = case.legal_stage
    if _ORDER[LegalStage(kind)] <= _ORDER[LegalStage(previous)]:
        raise ValidationError({"kind": [_("The legal path only moves forward.")]})
    for current in LegalProceeding.objects.filter(case=case, ended_on__isnull=True):
        current.ended_on = started_on
        if current.kind == LegalProceeding.Kind.MEDIATION and not current.outcome:
            current.outcome = LegalProceeding.Outcome.MEDIATION_FAILED
        current.save(update_fields=["ended_on", "outcome"])
    proceeding = LegalProceeding.objects.create(
        case=case,
        kind=kind,
        forum=forum,
        reference=(reference or "").strip(),
        started_on=started_on,
        next_date=next_date,
        notes=(notes or "").strip(),
        created_by=user,
    )
    case.legal_stage = kind
    case.save(update_fields=["legal_stage", "updated_at"])
    _announce(case, previous, proceeding, user=user, kind=CaseEvent.Kind.LEGAL_STAGE_CHANGED)
    return proceeding


@transaction.atomic
def legal_outcome_record(
    *,
    proceeding: LegalProceeding,
    outcome: str,
    user: User | None,
    ended_on: dt.date | None = None,
    next_date: dt.date | None = None,
    reference: str | None = None,
    amount_awarded: Decimal | None = None,
    notes: str = "",
) -> LegalProceeding:
    """Record where a step stands: its case number, next date, or its outcome (which ends it)."""
    case = _locked_open_case(proceeding.case)
    proceeding = LegalProceeding.objects.select_for_update().get(pk=proceeding.pk)
    if proceeding.ended_on is not None:
        raise ValidationError({"outcome": [_("This step has ended.")]})
    if outcome and outcome not in LegalProceeding.Outcome.values:
        raise ValidationError({"outcome": [_("Unknown outcome.")]})
    if outcome == LegalProceeding.Outcome.MEDIATION_FAILED and proceeding.kind != LegalProceeding.Kind.MEDIATION:
        raise ValidationError({"outcome": [_("Only a mediation can fail as a mediation.")]})
    if amount_awarded is not None and amount_awarded < ZERO:
        raise ValidationError({"amount_awarded": [_("The amount cannot be negative.")]})
    if next_date is not None and next_date < proceeding.started_on:
        raise ValidationError({"next_date": [_("The next date cannot lie before the start.")]})
    if reference is not None:
        proceeding.reference = reference.strip()
    if next_date is not None:
        proceeding.next_date = next_date
    if notes.strip():
        proceeding.notes = (proceeding.notes + "\n" + notes.strip()).strip()
    proceeding.amount_awarded = amount_awarded if amount_awarded is not None else proceeding.amount_awarded
    previous = case.legal_stage
    if outcome:
        proceeding.outcome = outcome
        proceeding.ended_on = ended_on or timezone.localdate()
        if proceeding.ended_on < proceeding.started_on:
            raise ValidationError({"ended_on": [_("A step cannot end before it starts.")]})
    proceeding.save()
    if outcome in PATH_ENDING_OUTCOMES:
        case.legal_stage = LegalStage.NONE
        case.save(update_fields=["legal_stage", "updated_at"])
    if outcome:
        _announce(case, previous, proceeding, user=user, kind=CaseEvent.Kind.LEGAL_OUTCOME)
    return proceeding
