from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import IdempotencyRecord
from cases.models import CaseEvent, Installment, Payment, PaymentAllocation
from cases.services import allocate
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/"


@pytest.fixture
def loan(platform):
    """Two overdue installments (fee 10, interest 50, principal 1000 each) and one not yet due."""
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1", currency="CNY")
    today = timezone.now().date()
    for seq, days in ((1, -40), (2, -10), (3, 20)):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=today + dt.timedelta(days=days))
    from cases.delinquency import refresh_delinquency

    refresh_delinquency(loan_ids=[loan.pk])
    loan.refresh_from_db()
    return loan


def pay(api, key="key-1", **overrides):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "1100.00", "paid_at": timezone.now().isoformat()}
    body.update(overrides)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(URL, body, format="json", **headers)


def test_it_records_and_allocates_fees_interest_principal_oldest_first(api, loan):
    assert loan.dpd == 40
    r = pay(api, amount="1100.00")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["external_id"] == "P-1"
    assert body["loan"] == "L-1"
    assert body["amount"] == "1100.00"
    assert body["currency"] == "CNY"
    assert body["unallocated"] == "0.00"
    assert body["allocations"] == [
        {
            "installment": 1,
            "fee": "10.00",
            "interest": "50.00",
            "principal": "1000.00",
            "late_fee": "0.00",
            "penalty": "0.00",
        },
        {
            "installment": 2,
            "fee": "10.00",
            "interest": "30.00",
            "principal": "0.00",
            "late_fee": "0.00",
            "penalty": "0.00",
        },
    ]
    first, second = Installment.objects.filter(loan=loan).order_by("seq")[:2]
    assert first.paid_off_at is not None and first.remaining == Decimal("0.00")
    assert second.paid_off_at is None
    assert (second.fee_paid, second.interest_paid, second.principal_paid) == (
        Decimal("10.00"), Decimal("30.00"), Decimal("0.00"),
    )  # fmt: skip
    loan.refresh_from_db()
    # the delinquency refresh ran: only installment 2 is overdue now
    assert loan.dpd == 10
    assert loan.outstanding == Decimal("3180.00") - Decimal("1100.00")
    assert Payment.history.count() == 1
    assert Installment.history.filter(loan_id=loan.pk).count() >= 5
    assert CaseEvent.objects.filter(kind="payment", case__loan=loan).count() == 1


def test_overpayment_is_kept_unallocated(api, loan):
    r = pay(api, amount="5000.00")
    assert r.status_code == 201
    assert r.json()["unallocated"] == "1820.00"
    assert Installment.objects.filter(loan=loan, paid_off_at__isnull=True).count() == 0
    loan.refresh_from_db()
    assert loan.outstanding == Decimal("0.00") and loan.dpd == 0
    assert sum(a.total for a in PaymentAllocation.objects.all()) == Decimal("3180.00")


def test_a_backdated_payment_is_fine(api, loan):
    r = pay(api, paid_at=(timezone.now() - dt.timedelta(days=30)).isoformat(), amount="10.00")
    assert r.status_code == 201
    assert r.json()["allocations"] == [
        {
            "installment": 1,
            "fee": "10.00",
            "interest": "0.00",
            "principal": "0.00",
            "late_fee": "0.00",
            "penalty": "0.00",
        }
    ]


def test_allocation_is_exact_in_decimal():
    insts = [
        Installment(seq=2, due_date=dt.date(2025, 2, 1), principal_due=Decimal("0.10"), interest_due=Decimal("0.20"),
                    fee_due=Decimal("0.30")),
        Installment(seq=1, due_date=dt.date(2025, 1, 1), principal_due=Decimal("0.10"), interest_due=Decimal("0.10"),
                    fee_due=Decimal("0.10"), fee_paid=Decimal("0.05")),
    ]  # fmt: skip
    allocations, left = allocate(Decimal("0.70"), insts)
    assert [(a.installment.seq, a.fee, a.interest, a.principal) for a in allocations] == [
        (1, Decimal("0.05"), Decimal("0.10"), Decimal("0.10")),
        (2, Decimal("0.30"), Decimal("0.15"), Decimal("0.00")),
    ]
    assert left == Decimal("0.00")
    assert sum(a.total for a in allocations) + left == Decimal("0.70")


def test_allocation_respects_waivers():
    inst = Installment(seq=1, due_date=dt.date(2025, 1, 1), principal_due=Decimal("100.00"), waived=Decimal("40.00"))
    allocations, left = allocate(Decimal("100.00"), [inst])
    assert allocations[0].principal == Decimal("60.00")
    assert left == Decimal("40.00")


# --- idempotency --------------------------------------------------------------------------------------------


def test_the_same_key_and_body_replays_the_first_response_and_writes_nothing(api, loan):
    body = {"external_id": "P-2", "loan": "L-1", "amount": "10.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    a = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    b = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="key-2")
    assert a.status_code == b.status_code == 201
    assert a.content == b.content
    assert Payment.objects.filter(external_id="P-2").count() == 1
    assert PaymentAllocation.objects.filter(payment__external_id="P-2").count() == 1
    assert Installment.objects.get(loan=loan, seq=1).fee_paid == Decimal("10.00")
    assert IdempotencyRecord.objects.filter(key="key-2").count() == 1


def test_the_same_key_with_another_body_is_409(api, loan):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "10.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    r = api.post(URL, {**body, "amount": "11.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 409
    assert Payment.objects.count() == 1


def test_keys_are_per_platform(api, other_api, loan, other_platform):
    other_borrower = factories.BorrowerFactory(platform=other_platform, external_id="B-1")
    other_loan = factories.LoanFactory(borrower=other_borrower, external_id="L-1", currency="CNY")
    factories.InstallmentFactory(loan=other_loan, seq=1)
    body = {"external_id": "P-1", "loan": "L-1", "amount": "10.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert other_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Payment.objects.filter(loan=other_loan).count() == 1


def test_a_failed_request_does_not_burn_the_key(api, loan):
    body = {"external_id": "P-1", "loan": "L-404", "amount": "10.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    r = api.post(URL, {**body, "loan": "L-1"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 201


def test_the_same_external_id_under_another_key_is_409_and_not_a_duplicate(api, loan):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "10.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    assert api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    r = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert r.status_code == 409
    assert "external_id" in r.json()
    assert Payment.objects.count() == 1
    assert Installment.objects.get(loan=loan, seq=1).fee_paid == Decimal("10.00")


def test_a_missing_key_is_400_naming_the_header(api, loan):
    r = pay(api, key=None)
    assert r.status_code == 400
    assert "Idempotency-Key" in r.json()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", None),
        ("loan", "L-404"),
        ("loan", 5),
        ("amount", "0"),
        ("amount", "-3"),
        ("amount", "1.234"),
        ("amount", "99999999999999999999"),
        ("amount", []),
        ("paid_at", "yesterday"),
        ("paid_at", "9999-12-31T23:59:59-10:00"),
        ("paid_at", "2999-01-01T00:00:00+00:00"),
        ("currency", "USD"),
        ("currency", "usd"),
        ("method", {"a": 1}),
    ],
)
def test_each_bad_field_is_a_400_naming_it(api, loan, field, value):
    r = pay(api, **{field: value})
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert not Payment.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_another_platforms_loan_is_unknown(api, other_platform):
    other_loan = factories.LoanFactory(borrower=factories.BorrowerFactory(platform=other_platform), external_id="L-X")
    factories.InstallmentFactory(loan=other_loan)
    r = pay(api, loan="L-X")
    assert r.status_code == 400 and "loan" in r.json()
    assert not Payment.objects.exists()


def test_anonymous_is_401(anon_api):
    assert pay(anon_api).status_code == 401


def test_a_payment_keeps_the_promise_it_meets(api, loan):
    from repayment_plans.services import promise_create

    case = loan.cases.get(status="open")
    promise = promise_create(case=case, amount=Decimal("100.00"), due_date=timezone.now().date() + dt.timedelta(days=2))
    r = pay(api, amount="100.00")
    assert r.status_code == 201
    promise.refresh_from_db()
    assert promise.paid_amount == Decimal("100.00")
    assert promise.status == "kept"


def test_one_payment_runs_a_bounded_number_of_queries(api, loan, django_assert_max_num_queries):
    # The single-loan refresh works by case id, and tracking skips a loan with no promise or plan.
    # The whole request, authentication and idempotency included (39 on SQLite when written; 35 on SQLite
    # with the key's first lookup once the platform was no longer read again through the loan and the answer
    # was built from what was written instead of re-read; 32 on PostgreSQL with the key cached). Issue 21's
    # second round: on PostgreSQL six in the payment's own transaction (test_payment_transaction.py) and the
    # refresh after it; SQLite's ORM path is the bound here (36 with the rescore's priority).
    with django_assert_max_num_queries(36):
        r = pay(api, amount="100.00")
    assert r.status_code == 201, r.json()
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PAYMENT).count() == 1
