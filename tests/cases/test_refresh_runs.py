"""The whole book's delinquency refresh records each run (the operations page shows the last one): when it
started, how long it took, what it changed, or the kind of error that stopped it. A refresh of a few loans
(after a payment) records nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from cases.delinquency import refresh_delinquency
from cases.models import Case, RefreshRun
from cases.signals import open_cases_refreshed
from tests.factories import InstallmentFactory, LoanFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 0, 5, tzinfo=dt.UTC)


def _overdue_loan():
    loan = LoanFactory()
    InstallmentFactory(
        loan=loan,
        seq=1,
        due_date=NOW.date() - dt.timedelta(days=10),
        principal_due=Decimal("100.00"),
        interest_due=Decimal("0"),
        fee_due=Decimal("0"),
    )
    return loan


def test_a_full_refresh_records_its_run_with_what_it_changed():
    _overdue_loan()
    with time_machine.travel(NOW, tick=False):
        refresh_delinquency(today=NOW.date())

    run = RefreshRun.objects.get()
    assert run.succeeded and run.error == ""
    assert run.started_at == NOW
    assert run.duration_ms >= 0
    assert run.loans_updated == 1 and run.cases_opened == 1 and run.cases_closed == 0


def test_a_refresh_of_some_loans_records_nothing():
    loan = _overdue_loan()
    refresh_delinquency(loan_ids=[loan.pk], today=NOW.date())

    assert Case.objects.filter(loan=loan).exists()
    assert not RefreshRun.objects.exists()


def test_a_failed_refresh_is_recorded_with_its_error_and_changes_nothing():
    _overdue_loan()

    def broken_receiver(**kwargs):
        raise ZeroDivisionError("a receiver failed")

    open_cases_refreshed.connect(broken_receiver, dispatch_uid="test-broken-receiver")
    try:
        with pytest.raises(ZeroDivisionError):
            refresh_delinquency(today=NOW.date())
    finally:
        open_cases_refreshed.disconnect(dispatch_uid="test-broken-receiver")

    run = RefreshRun.objects.get()
    assert not run.succeeded and run.error == "ZeroDivisionError"
    assert not Case.objects.exists()  # the refresh itself rolled back
