"""The benchmark's refresh baseline (bench.figures.baseline_dpd) owes what the refresh owes: an installment
whose principal, interest and fee are paid but whose late fee or penalty interest is not is still behind
(cases.charges), in the baseline as in the loans' DPD."""

import datetime as dt
from decimal import Decimal

import pytest

from bench.figures import baseline_dpd
from cases.delinquency import refresh_delinquency
from cases.models import Loan
from tests.factories import InstallmentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

TODAY = dt.date(2026, 3, 20)


def test_an_unpaid_late_fee_keeps_the_loan_behind_in_the_baseline_as_in_the_refresh() -> None:
    paid = {"principal_paid": Decimal("1000.00"), "interest_paid": Decimal("50.00"), "fee_paid": Decimal("10.00")}
    fee_left = InstallmentFactory(due_date=TODAY - dt.timedelta(days=12), late_fee_due=Decimal("30.00"), **paid)
    penalty_waived = InstallmentFactory(
        due_date=TODAY - dt.timedelta(days=9),
        penalty_due=Decimal("4.20"),
        penalty_waived=Decimal("4.20"),
        **paid,
    )
    refresh_delinquency(today=TODAY)

    baseline = baseline_dpd(TODAY)

    assert baseline.get(fee_left.loan_id) == 12
    assert penalty_waived.loan_id not in baseline
    loan = Loan.objects.get(pk=fee_left.loan_id)
    assert (loan.dpd, loan.outstanding) == (12, Decimal("30.00"))
    assert Loan.objects.get(pk=penalty_waived.loan_id).dpd == 0
