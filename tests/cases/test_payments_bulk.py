"""POST /api/v1/payments/bulk/: many payments at once, all or nothing, each row's external_id its idempotency key."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus, Installment, Loan, Payment, PaymentAllocation
from core.api import LargeBodyMixin
from tests import factories
from webhooks.models import EventType, WebhookEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

URL = "/api/v1/payments/bulk/"


def _loan(platform, n: int) -> Loan:
    """Two overdue installments (fee 10, interest 50, principal 1000 each) and one not yet due."""
    from cases.delinquency import refresh_delinquency

    borrower = factories.BorrowerFactory(platform=platform, external_id=f"B-{n}")
    loan = factories.LoanFactory(borrower=borrower, external_id=f"L-{n}", currency="CNY")
    today = timezone.now().date()
    for seq, days in ((1, -40), (2, -10), (3, 20)):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=today + dt.timedelta(days=days))
    refresh_delinquency(loan_ids=[loan.pk])
    loan.refresh_from_db()
    return loan


@pytest.fixture
def loans(platform) -> list[Loan]:
    return [_loan(platform, n) for n in (1, 2, 3)]


PAID_AT = (timezone.now() - dt.timedelta(hours=2)).replace(microsecond=0)


def row(external_id: str, loan: str, amount: str, at: dt.datetime = PAID_AT, **extra) -> dict:
    return {"external_id": external_id, "loan": loan, "amount": amount, "paid_at": at.isoformat(), **extra}


def post(api, rows, *, wrap: bool = True, key: str | None = None):
    """A new Idempotency-Key for each upload unless one is given."""
    return api.post(
        URL, {"payments": rows} if wrap else rows, format="json", HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex
    )


def _state() -> tuple:
    return (
        Payment.objects.count(),
        PaymentAllocation.objects.count(),
        Payment.history.count(),
        CaseEvent.objects.filter(kind=CaseEvent.Kind.PAYMENT).count(),
        sorted(Installment.objects.values_list("id", "fee_paid", "interest_paid", "principal_paid")),
    )


def test_it_records_and_allocates_each_payment_as_the_single_endpoint_does(api, loans):
    rows = [
        # Two payments to one loan, sent out of order: allocated in the order they were paid.
        row("P-2", "L-1", "500.00", PAID_AT + dt.timedelta(minutes=1)),
        row("P-1", "L-1", "1100.00"),
        row("P-3", "L-2", "60.00", method="bank"),
    ]
    response = post(api, rows)
    assert response.status_code == 201, response.json()
    # Both loans stay overdue but L-1 moves from 40 to 10 days past due (m2 to m1): one case re-staged.
    assert response.json() == {"created": 3, "duplicates": 0, "cases_changed": 1}

    first = Payment.objects.get(external_id="P-1")
    assert [(a.installment.seq, a.fee, a.interest, a.principal) for a in first.allocations.order_by("id")] == [
        (1, Decimal("10.00"), Decimal("50.00"), Decimal("1000.00")),
        (2, Decimal("10.00"), Decimal("30.00"), Decimal("0.00")),
    ]
    second = Payment.objects.get(external_id="P-2")
    assert [(a.installment.seq, a.interest, a.principal) for a in second.allocations.all()] == [
        (2, Decimal("20.00"), Decimal("480.00"))
    ]
    assert Payment.objects.get(external_id="P-3").method == "bank"
    paid_off = Installment.objects.get(loan=loans[0], seq=1)
    assert paid_off.paid_off_at == PAID_AT and paid_off.remaining == Decimal("0.00")
    # History rows for the payments and the installments, a case event per payment, the loans refreshed.
    assert Payment.history.filter(history_type="+").count() == 3
    assert Installment.history.filter(history_type="~").count() == 3
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PAYMENT).count() == 3
    loans[0].refresh_from_db()
    assert loans[0].dpd == 10 and loans[0].overdue_amount == Decimal("520.00")


def test_a_list_body_is_taken_as_well(api, loans):
    response = post(api, [row("P-1", "L-1", "10.00")], wrap=False)
    assert response.status_code == 201 and response.json() == {"created": 1, "duplicates": 0, "cases_changed": 0}


def test_sending_the_same_payments_again_records_nothing_new(api, loans):
    """Under another Idempotency-Key the rows' own external ids make them duplicates."""
    rows = [row("P-1", "L-1", "100.00"), row("P-2", "L-2", "100.00")]
    assert post(api, rows).json() == {"created": 2, "duplicates": 0, "cases_changed": 0}
    before = _state()
    response = post(api, rows)
    assert response.status_code == 201
    assert response.json() == {"created": 0, "duplicates": 2, "cases_changed": 0}
    assert _state() == before


def test_the_same_idempotency_key_replays_the_first_answer(api, loans):
    rows = [row("P-1", "L-1", "100.00")]
    first = post(api, rows, key="upload-1")
    before = _state()
    again = post(api, rows, key="upload-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json()) == (201, first.json())
    assert first.json()["created"] == 1
    assert _state() == before
    assert post(api, [row("P-2", "L-1", "1.00")], key="upload-1").status_code == 409


def test_the_idempotency_key_is_required(api, loans):
    response = api.post(URL, {"payments": [row("P-1", "L-1", "1.00")]}, format="json")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Payment.objects.exists()


def test_partial_duplicates_record_only_the_new_rows(api, loans):
    assert post(api, [row("P-1", "L-1", "100.00")]).status_code == 201
    response = post(api, [row("P-1", "L-1", "100.00"), row("P-2", "L-1", "100.00"), row("P-3", "L-3", "5.00")])
    assert response.json() == {"created": 2, "duplicates": 1, "cases_changed": 0}
    assert sorted(Payment.objects.values_list("external_id", flat=True)) == ["P-1", "P-2", "P-3"]
    # P-1 paid the first installment's fee, interest and 40 of its principal; P-2 continues from there.
    allocation = Payment.objects.get(external_id="P-2").allocations.get()
    assert (allocation.installment.seq, allocation.interest, allocation.principal) == (1, 0, Decimal("100.00"))


@pytest.mark.parametrize(
    "changed", [{"amount": "999.00"}, {"loan": "L-2"}, {"method": "cash"}, {"at": PAID_AT + dt.timedelta(seconds=1)}]
)
def test_a_recorded_external_id_with_other_content_is_an_error_and_nothing_is_written(api, loans, changed):
    assert post(api, [row("P-1", "L-1", "100.00")]).status_code == 201
    before = _state()
    response = post(
        api, [row("P-9", "L-2", "1.00"), row(**{"external_id": "P-1", "loan": "L-1", "amount": "100.00", **changed})]
    )
    assert response.status_code == 400
    assert list(response.json()["payments"]) == ["1"]
    assert "external_id" in response.json()["payments"]["1"]
    assert _state() == before


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (row("P-3", "L-404", "1.00"), "loan"),
        (row("P-3", "L-3", "0.00"), "amount"),
        (row("P-3", "L-3", "abc"), "amount"),
        (row("P-3", "L-3", "1.00", currency="USD"), "currency"),
        (row("P-3", "L-3", "1.00", timezone.now() + dt.timedelta(days=2)), "paid_at"),
        (row("P-1", "L-3", "1.00"), "external_id"),  # repeated in the request
    ],
)
def test_one_bad_row_refuses_the_whole_upload_naming_the_row(api, loans, bad, field):
    before = _state()
    response = post(api, [row("P-1", "L-1", "100.00"), row("P-2", "L-2", "100.00"), bad])
    assert response.status_code == 400, response.json()
    errors = response.json()["payments"]
    assert list(errors) == ["2"] and field in errors["2"]
    assert _state() == before
    assert not WebhookEvent.objects.exists()


def test_empty_and_too_many_rows_are_400(api, loans):
    assert post(api, []).status_code == 400
    response = post(api, [row(f"P-{n}", "L-1", "1.00") for n in range(10_001)])
    assert response.status_code == 400 and "payments" in response.json()


def test_a_body_above_the_bulk_limit_is_413_without_reading_it(api, loans):
    response = api.generic(
        "POST",
        URL,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(LargeBodyMixin.max_body_bytes + 1),
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 413
    assert not response.wsgi_request._read_started


def test_a_webhook_per_affected_case_as_for_single_payments(api, loans, platform):
    """Paying two loans off closes their cases: one case.closed event each; the third loan is untouched."""
    platform.webhook_url = "https://hooks.example.com/collections"
    platform.save()
    response = post(api, [row("P-1", "L-1", "3180.00"), row("P-2", "L-2", "3180.00"), row("P-3", "L-2", "1.00")])
    assert response.status_code == 201, response.json()
    assert response.json()["cases_changed"] == 2
    closed = WebhookEvent.objects.filter(platform=platform, type=EventType.CASE_CLOSED)
    assert sorted(e.payload["loan"] for e in closed) == ["L-1", "L-2"]
    assert Case.objects.filter(loan__in=loans[:2], status=CaseStatus.OPEN).count() == 0
    assert Case.objects.filter(loan=loans[2], status=CaseStatus.OPEN).count() == 1
    assert Payment.objects.get(external_id="P-3").unallocated == Decimal("1.00")


def test_another_platforms_loans_are_unknown(other_api, loans):
    response = post(other_api, [row("P-1", "L-1", "1.00")])
    assert response.status_code == 400 and "loan" in response.json()["payments"]["0"]


def test_anonymous_is_401(anon_api):
    assert post(anon_api, [row("P-1", "L-1", "1.00")]).status_code == 401


def test_a_bulk_payment_keeps_the_promise_it_meets_as_a_single_one_does(api, loans):
    from repayment_plans.services import promise_create

    case = loans[1].cases.get(status="open")
    promise = promise_create(case=case, amount=Decimal("100.00"), due_date=timezone.now().date() + dt.timedelta(days=2))
    response = post(api, [row("P-1", "L-1", "50.00"), row("P-2", "L-2", "100.00")])
    assert response.status_code == 201, response.json()
    promise.refresh_from_db()
    assert promise.paid_amount == Decimal("100.00") and promise.status == "kept"


def test_reminders_for_installments_the_upload_paid_are_cancelled(api, loans):
    from outreach.default_strategies import seed_strategies
    from outreach.models import ReminderJob

    step = seed_strategies().steps.filter(channel="sms").first()
    case = loans[0].cases.get(status="open")
    first_due = Installment.objects.get(loan=loans[0], seq=1).due_date
    job = ReminderJob.objects.create(case=case, step=step, due_date=first_due, scheduled_for=timezone.now())
    assert post(api, [row("P-1", "L-1", "1060.00")]).status_code == 201
    job.refresh_from_db()
    assert job.status == "cancelled" and job.skip_reason == "installment_paid"
