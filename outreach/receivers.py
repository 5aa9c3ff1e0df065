"""Outreach's answers to what happens below it (connected in OutreachConfig.ready)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from cases.models import Case, Payment
from cases.signals import payment_recorded, payments_recorded
from portal.signals import borrower_needs_person

from .services import reminders_cancel_obsolete, task_for_borrower_request
from .tasks import on_payment_task


@receiver(payment_recorded, dispatch_uid="outreach_payment_recorded")
def payment_cancels_obsolete_reminders(sender: type[Payment], payment: Payment, **kwargs: Any) -> None:
    """Reminders for installments the payment settled are cancelled in its transaction; planning for
    the new stage runs in the worker once committed (robust: a broker outage must not fail a recorded
    payment; the hourly planner catches up)."""
    reminders_cancel_obsolete(loan_ids=[payment.loan_id])
    loan_id = payment.loan_id
    transaction.on_commit(lambda: on_payment_task.delay(loan_id), robust=True)


@receiver(borrower_needs_person, dispatch_uid="outreach_borrower_needs_person")
def borrower_request_makes_a_task(sender: Any, case: Case, reason: str, **kwargs: Any) -> None:
    """A borrower asked through the portal for a person (dispute, hardship, another arrangement): a task."""
    task_for_borrower_request(case=case, reason=reason)


@receiver(payments_recorded, dispatch_uid="outreach_payments_recorded")
def payments_cancel_obsolete_reminders(sender: type[Payment], payments: list[Payment], **kwargs: Any) -> None:
    """As for one payment, for a bulk upload's set: one cancellation over all their loans, and the
    re-planning of each loan queued once after commit."""
    loan_ids = sorted({payment.loan_id for payment in payments})
    reminders_cancel_obsolete(loan_ids=loan_ids)
    for loan_id in loan_ids:
        transaction.on_commit(partial(on_payment_task.delay, loan_id), robust=True)
