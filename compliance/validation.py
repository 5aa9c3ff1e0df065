"""Regulation F's validation notice (12 CFR 1006.34) and the hold a dispute inside its period puts on
collection (FDCPA 809(b), 12 CFR 1006.34(c)(3)/1006.38(d)(2)).

- The gate schedules one notice per case on the case's first outbound communication it allows with a
  US borrower (`schedule_on_first_communication`, inside the gate's transaction, under the borrower's lock).
- outreach sends it (outreach.services.validation_notice_send: a letter or an e-mail through the gate
  and the one send path), with the Model Form B-1 values of `notice_fields` and the period of
  `validation_period`.
- A dispute hold recorded from the first communication to the end of the period (by a collector, the
  API or the borrower portal: every path writes a borrowers.Hold) marks the notice disputed
  (`record_dispute`, from a post_save receiver); the US rule validation_dispute then blocks outreach
  about the loan until `verification_record`.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import holidays
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import Perm, can
from borrowers.models import Borrower, Hold, HoldKind
from borrowers.services import hold_lift
from borrowers.zones import local_day, primary_zone, start_of_local_day
from cases.events import case_event_record
from cases.models import Case, CaseEvent, Installment

from .models import Decision, ValidationNotice, ValidationNoticeStatus

# 1006.34(b)(5): the period ends 30 days after the consumer receives, or is assumed to receive, the
# notice; the collector may assume receipt on any date up to five days (excluding legal public holidays,
# Saturdays and Sundays) after providing it. We assume the latest such date: the longest period.
VALIDATION_DAYS = 30
RECEIPT_BUSINESS_DAYS = 5


@functools.cache
def _us_holidays(year: int) -> holidays.HolidayBase:
    # The legal public holidays of 5 U.S.C. 6103 (the federal holidays), as 1006.34(b)(5) names them.
    return holidays.country_holidays("US", years=year)


def assumed_receipt(notice_day: dt.date) -> dt.date:
    """Five days after `notice_day`, counting neither Saturdays, Sundays nor legal public holidays."""
    day, counted = notice_day, 0
    while counted < RECEIPT_BUSINESS_DAYS:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in _us_holidays(day.year):
            counted += 1
    return day


def validation_period(notice_day: dt.date) -> tuple[dt.date, dt.date]:
    """(assumed receipt, last day of the validation period) for a notice provided on `notice_day`."""
    receipt = assumed_receipt(notice_day)
    return receipt, receipt + dt.timedelta(days=VALIDATION_DAYS)


def _zone(borrower: Borrower) -> str:
    return primary_zone(borrower_tz=borrower.timezone, region=borrower.region) or "UTC"


def schedule_on_first_communication(
    *, borrower_id: int, case_id: int | None, loan_id: int | None, known_cases: set[int], decision: Decision
) -> ValidationNotice | None:
    """Called by the gate, in its transaction under the borrower's lock, after an allowed outbound action
    to a US borrower: the case's first such communication schedules its notice (once: one per case,
    and the lock serialises the check)."""
    if case_id is None and loan_id is not None:
        case_id = Case.objects.filter(loan_id=loan_id).order_by("-opened_at").values_list("id", flat=True).first()
    if case_id is None or case_id in known_cases:
        return None
    case = Case.objects.only("id", "loan_id").get(pk=case_id)
    return ValidationNotice.objects.create(
        borrower_id=borrower_id,
        case_id=case.pk,
        loan_id=case.loan_id,
        first_decision=decision,
        scheduled_at=decision.at,
        not_before=decision.at,
    )


def mask_account(external_id: str) -> str:
    """The account number as the notice shows it: its last four characters (1006.34(c)(2)(vi) allows a
    truncated number)."""
    tail = external_id[-4:]
    return ("*" * max(len(external_id) - 4, 4)) + tail


def notice_fields(notice: ValidationNotice, *, at: dt.datetime, collector_name: str, collector_address: str) -> dict:
    """The Model Form B-1 values of a notice provided at `at` (money as strings, dates ISO).

    Itemization date (1006.34(b)(3)): the loan's last statement is not recorded here, so the reference
    date used is the last payment before the notice, else the disbursement (1006.34(b)(3)(iii) and
    (iv), two of the dates Regulation F lists); the amount then is what the loan's schedule said was owed
    then (installments' dues less what was paid and waived on them before that date), and the change
    since is split into interest, fees, and payments and credits."""
    case: Case = notice.case
    loan = case.loan
    borrower = case.borrower
    notice_day = local_day(at, _zone(borrower))
    receipt, end = validation_period(notice_day)
    last_payment = loan.payments.filter(paid_at__lt=at).order_by("-paid_at").first()
    item_at = last_payment.paid_at if last_payment else None
    item_date = local_day(item_at, _zone(borrower)) if item_at else loan.disbursed_on
    payments_since = loan.payments.filter(paid_at__lt=at)
    if item_at is not None:
        payments_since = payments_since.filter(paid_at__gt=item_at)
    paid_since = payments_since.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    installments = Installment.objects.filter(loan=loan)
    # Interest and fees that fell due after the itemization date (the schedule's own due dates).
    due_after = installments.filter(due_date__gt=item_date, due_date__lte=notice_day).aggregate(
        interest=Sum("interest_due"), fees=Sum("fee_due")
    )
    interest = due_after["interest"] or Decimal("0")
    fees = due_after["fees"] or Decimal("0")
    current = loan.outstanding
    item_amount = current - interest - fees + paid_since
    return {
        "collector_name": collector_name,
        "collector_address": collector_address,
        "consumer_name": borrower.full_name,
        "consumer_address": borrower.address,
        "creditor": loan.platform.name,
        "account_number": mask_account(loan.external_id),
        "currency": loan.currency,
        "notice_date": notice_day.isoformat(),
        "itemization_date": item_date.isoformat(),
        "itemization_basis": "last_payment" if item_at else "disbursement",
        "amount_on_itemization_date": str(item_amount),
        "interest_since": str(interest),
        "fees_since": str(fees),
        "payments_credits_since": str(paid_since),
        "current_amount": str(current),
        "assumed_receipt_date": receipt.isoformat(),
        "validation_period_end": end.isoformat(),
    }


def notice_sent(
    notice: ValidationNotice, *, at: dt.datetime, channel: str, fields: dict[str, Any], decision: Decision
) -> None:
    """Record the notice as provided at `at` (its period starts from that day), with a case event."""
    borrower = notice.case.borrower
    zone = _zone(borrower)
    receipt, end = validation_period(local_day(at, zone))
    notice.status = ValidationNoticeStatus.SENT
    notice.sent_at = at
    notice.channel = channel
    notice.fields = fields
    notice.send_decision = decision
    notice.receipt_date = receipt
    notice.period_end = end
    notice.period_ends_at = start_of_local_day(end + dt.timedelta(days=1), zone)
    notice.reason = ""
    notice.save()
    case_event_record(
        case_id=notice.case_id,
        kind=CaseEvent.Kind.VALIDATION_NOTICE,
        new=channel,
        at=at,
        data={"notice": notice.pk, "validation_period_end": end.isoformat()},
    )


def record_dispute(hold: Hold) -> ValidationNotice | None:
    """A dispute hold just written: when it falls inside a notice's validation period (from the first
    communication, which scheduled the notice, to the end of the period's last local day) on the same
    loan (a hold naming no loan disputes every loan), the notice is marked disputed; the gate then holds
    collection on that loan until verification is recorded. A dispute after the period only makes the
    ordinary dispute hold."""
    if hold.kind != HoldKind.DISPUTE:
        return None
    at = hold.starts_at
    notices = ValidationNotice.objects.select_for_update().filter(
        borrower_id=hold.borrower_id, scheduled_at__lte=at, disputed_at__isnull=True
    )
    notices = notices.filter(Q(period_ends_at__isnull=True) | Q(period_ends_at__gt=at))
    if hold.loan_id is not None:
        notices = notices.filter(loan_id=hold.loan_id)
    marked = None
    with transaction.atomic():
        for notice in notices:
            notice.disputed_at = at
            notice.dispute_hold = hold
            notice.save(update_fields=["disputed_at", "dispute_hold"])
            marked = notice
    return marked


def can_record_verification(user: Any) -> bool:
    """Supervisors, compliance officers and administrators (the audit permission)."""
    return can(user, Perm.AUDIT)


def verification_record(
    *, notice: ValidationNotice, user: User, note: str, now: dt.datetime | None = None
) -> ValidationNotice:
    """Record that verification of a debt disputed within its validation period was provided (1006.38(d)
    (2)(i)): collection on the loan may resume. The dispute holds on the loan recorded inside the period
    end with it (the dispute is answered); a later dispute stays. Recorded on the notice (with its
    history) and as a case event with the user and note."""
    if not can_record_verification(user):
        raise PermissionDenied("Only a supervisor or a compliance officer may record verification.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [gettext("Say what verification was provided and how.")]})
    now = now or timezone.now()
    with transaction.atomic():
        notice = ValidationNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.disputed_at is None:
            raise ValidationError({"notice": [gettext("This debt was not disputed within its validation period.")]})
        if notice.verified_at is not None:
            raise ValidationError({"notice": [gettext("Verification is already recorded.")]})
        notice.verified_at = now
        notice.verified_by = user
        notice.verification_note = note
        notice.save(update_fields=["verified_at", "verified_by", "verification_note"])
        inside = Q(starts_at__gte=notice.scheduled_at)
        if notice.period_ends_at is not None:
            inside &= Q(starts_at__lt=notice.period_ends_at)
        holds = Hold.objects.active_at(now).filter(
            inside, Q(loan_id=notice.loan_id) | Q(loan__isnull=True), borrower_id=notice.borrower_id, kind="dispute"
        )
        lifted = [hold_lift(hold=h, ends_at=now).pk for h in holds]
        case_event_record(
            case_id=notice.case_id,
            kind=CaseEvent.Kind.VALIDATION_VERIFIED,
            actor=user,
            reason=note,
            at=now,
            data={"notice": notice.pk, "holds_lifted": lifted},
        )
    return notice
