"""A case with a three-installment loan, payments through the real ledger, a private MEDIA_ROOT, and the
clock at a fixed instant for every test, so that nothing here depends on the hour or the date the suite
runs at (a run across midnight, a borrower's day ahead of the server's, a 29 February)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases.models import Case, Payment
from repayment_plans.tracking import on_payment_recorded
from tests.factories import BorrowerFactory, CaseFactory, InstallmentFactory, LoanFactory

# Every test starts at this instant (the clock then ticks on): 11:00 in Shanghai (the factories'
# borrowers live there), the same calendar day there as in UTC (the server's TIME_ZONE).
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
# Three installments of 1000.00 principal + 50.00 interest + 10.00 fee: 3180.00 owed, two overdue.
BALANCE = Decimal("3180.00")

_payment_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Agreement PDFs land in a throwaway folder, not in the project's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def make_case(platform, *, language: str = "zh-hans", **borrower_fields) -> Case:
    borrower = BorrowerFactory(platform=platform, language=language, **borrower_fields)
    loan = LoanFactory(borrower=borrower, platform=platform)
    for seq, days in enumerate((-40, -10, 20), start=1):
        InstallmentFactory(loan=loan, seq=seq, due_date=TODAY + dt.timedelta(days=days))
    return CaseFactory(loan=loan)


@pytest.fixture
def case(platform) -> Case:
    return make_case(platform)


def pay(case: Case, amount: str, *, paid_at: dt.datetime | None = None) -> Payment:
    """A payment through the real write path (ledger allocation and delinquency refresh), then tracked.

    on_payment_recorded is called explicitly because payment_record does not call it yet; once it
    does, this second call must be a no-op, which these tests then prove as well.
    """
    from cases.services import payment_record

    payment = payment_record(
        platform=case.platform,
        loan=case.loan,
        external_id=f"P-{next(_payment_ids)}",
        amount=Decimal(amount),
        paid_at=paid_at or timezone.now(),
    )
    on_payment_recorded(payment)
    return payment
