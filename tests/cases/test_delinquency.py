import datetime as dt
from decimal import Decimal

import pytest

from cases.delinquency import refresh_delinquency
from cases.models import Case, CaseEvent, CaseStatus, Installment, Stage, stage_for_dpd
from tests.factories import InstallmentFactory, LoanFactory

TODAY = dt.date(2026, 6, 15)


def _loan_with_schedule(*dues: tuple[int, str], paid: dict[int, str] | None = None):
    """A loan whose installments fall `days` relative to TODAY with the given principal."""
    loan = LoanFactory()
    for seq, (days, amount) in enumerate(dues, start=1):
        inst = InstallmentFactory(
            loan=loan,
            seq=seq,
            due_date=TODAY + dt.timedelta(days=days),
            principal_due=Decimal(amount),
            interest_due=Decimal("0"),
            fee_due=Decimal("0"),
        )
        if paid and seq in paid:
            Installment.objects.filter(pk=inst.pk).update(principal_paid=Decimal(paid[seq]))
    return loan


@pytest.mark.parametrize(
    ("dpd", "stage"),
    [
        (-3, "pre_due"),
        (0, "pre_due"),
        (1, "m1"),
        (30, "m1"),
        (31, "m2"),
        (60, "m2"),
        (61, "m3"),
        (90, "m3"),
        (91, "m3_plus"),
    ],
)
def test_stage_boundaries(dpd, stage):
    assert stage_for_dpd(dpd) == stage


@pytest.mark.django_db
def test_dpd_comes_from_the_oldest_unpaid_installment():
    loan = _loan_with_schedule((-40, "100.00"), (-10, "100.00"), (20, "100.00"), paid={1: "100.00"})
    refresh_delinquency(today=TODAY)
    loan.refresh_from_db()
    assert loan.dpd == 10
    assert loan.stage == Stage.M1
    assert loan.overdue_amount == Decimal("100.00")
    assert loan.outstanding == Decimal("200.00")


@pytest.mark.django_db
def test_a_partly_paid_installment_still_counts_as_overdue():
    loan = _loan_with_schedule((-45, "100.00"), paid={1: "99.99"})
    refresh_delinquency(today=TODAY)
    loan.refresh_from_db()
    assert (loan.dpd, loan.stage, loan.overdue_amount) == (45, Stage.M2, Decimal("0.01"))


@pytest.mark.django_db
def test_it_opens_a_case_for_a_new_delinquency_once():
    loan = _loan_with_schedule((-5, "300.00"))
    first = refresh_delinquency(today=TODAY)
    second = refresh_delinquency(today=TODAY)
    case = Case.objects.get(loan=loan)
    assert first.cases_opened == 1 and second.cases_opened == 0
    assert (case.status, case.stage, case.dpd, case.overdue_amount) == ("open", "m1", 5, Decimal("300.00"))
    assert CaseEvent.objects.filter(case=case, kind="opened").count() == 1


@pytest.mark.django_db
def test_pre_due_window_opens_a_pre_due_case_and_further_out_does_not():
    near = _loan_with_schedule((3, "100.00"))
    far = _loan_with_schedule((4, "100.00"))
    refresh_delinquency(today=TODAY)
    assert Case.objects.get(loan=near).stage == Stage.PRE_DUE
    assert not Case.objects.filter(loan=far).exists()


@pytest.mark.django_db
def test_stage_change_is_recorded_as_an_event():
    loan = _loan_with_schedule((-30, "100.00"))
    refresh_delinquency(today=TODAY)
    refresh_delinquency(today=TODAY + dt.timedelta(days=1))
    case = Case.objects.get(loan=loan)
    event = CaseEvent.objects.get(case=case, kind="stage_changed")
    assert (event.old_value, event.new_value, case.stage, case.dpd) == ("m1", "m2", "m2", 31)


@pytest.mark.django_db
def test_a_cured_case_is_closed():
    loan = _loan_with_schedule((-5, "100.00"), (25, "100.00"))
    refresh_delinquency(today=TODAY)
    Installment.objects.filter(loan=loan, seq=1).update(principal_paid=Decimal("100.00"))
    result = refresh_delinquency(today=TODAY)
    case = Case.objects.get(loan=loan)
    assert result.cases_closed == 1
    assert (case.status, case.close_reason) == (CaseStatus.CLOSED, "cured")
    loan.refresh_from_db()
    assert (loan.dpd, loan.stage) == (0, "pre_due")


@pytest.mark.django_db
def test_refresh_limited_to_some_loans_leaves_others_alone():
    a = _loan_with_schedule((-5, "100.00"))
    b = _loan_with_schedule((-5, "100.00"))
    refresh_delinquency(loan_ids=[a.id], today=TODAY)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.dpd, b.dpd) == (5, 0)


@pytest.mark.django_db
def test_risk_segment_rises_with_dpd_and_amount():
    small = _loan_with_schedule((-3, "100.00"))
    big = _loan_with_schedule((-95, "25000.00"))
    refresh_delinquency(today=TODAY)
    assert Case.objects.get(loan=small).risk_segment == "low"
    high = Case.objects.get(loan=big)
    assert high.risk_segment == "high"
    assert high.priority == high.risk_score > Case.objects.get(loan=small).risk_score


@pytest.mark.django_db
def test_refresh_runs_a_constant_number_of_queries(django_assert_max_num_queries):
    for _ in range(3):
        _loan_with_schedule((-5, "100.00"), (10, "50.00"))
    with django_assert_max_num_queries(20):
        refresh_delinquency(today=TODAY)
    for _ in range(20):
        _loan_with_schedule((-5, "100.00"), (10, "50.00"))
    with django_assert_max_num_queries(20):
        refresh_delinquency(today=TODAY)


@pytest.mark.django_db
def test_an_installment_paid_in_awkward_parts_counts_as_paid():
    """Floating-point residue (SQLite) must not leave a paid installment looking unpaid."""
    loan = _loan_with_schedule((-20, "100.10"))
    Installment.objects.filter(loan=loan).update(
        principal_due=Decimal("0.30"),
        interest_due=Decimal("0.10"),
        fee_due=Decimal("0.20"),
        principal_paid=Decimal("0.30"),
        interest_paid=Decimal("0.10"),
        fee_paid=Decimal("0.20"),
    )
    refresh_delinquency(today=TODAY)
    loan.refresh_from_db()
    assert (loan.dpd, loan.stage, loan.overdue_amount) == (0, Stage.PRE_DUE, Decimal("0.00"))
