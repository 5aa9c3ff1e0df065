"""One payment through the API on PostgreSQL: its own transaction is at most ten statements, and the loan's
refresh, the case, promises and webhooks are settled in a second transaction after it commits, before the
201 is answered (docs/api.md, "Payments"; docs/performance.md, "Issue 21, second round")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.dispatch import receiver
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import IdempotencyRecord
from cases.delinquency import refresh_delinquency
from cases.models import Case, CaseEvent, Installment, Payment, PaymentAllocation
from cases.signals import payment_recorded
from repayment_plans.services import promise_create
from tests import factories
from webhooks.models import EventType, WebhookEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/payments/"


@pytest.fixture
def loan(platform):
    """Two overdue installments (fee 10, interest 50, principal 1000 each) and one not yet due; an open case."""
    platform.webhook_url = "https://platform.example/hooks"
    platform.save(update_fields=["webhook_url"])
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1", currency="CNY")
    today = timezone.localdate()
    for seq, days in ((1, -40), (2, -10), (3, 20)):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=today + dt.timedelta(days=days))
    refresh_delinquency(loan_ids=[loan.pk])
    loan.refresh_from_db()
    return loan


PAID_AT = "2026-01-01T08:00:00+08:00"


def pay(api: APIClient, key: str = "key-1", **overrides: Any):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "100.00", "paid_at": PAID_AT}
    body.update(overrides)
    return api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def transactions(statements: list[str]) -> list[list[str]]:
    """The statements of a request, split at each BEGIN (Django logs BEGIN and COMMIT on PostgreSQL)."""
    groups: list[list[str]] = [[]]
    for sql in statements:
        if sql == "BEGIN":
            groups.append([])
        groups[-1].append(sql)
    return [group for group in groups if group]


def test_one_payment_is_at_most_ten_statements_in_its_own_transaction(api, loan):
    pay(api, key="warm-up", external_id="P-0", amount="1.00")  # the process's caches (key, rules) warm
    with CaptureQueriesContext(connection) as request:
        response = pay(api)
    assert response.status_code == 201, response.json()
    groups = transactions([q["sql"] for q in request.captured_queries])
    payment, settling = (
        next(i for i, group in enumerate(groups) if any(fragment in sql for sql in group))
        for fragment in ("accounts_idempotencyrecord", "UPDATE cases_case c SET")
    )
    # The key's record, the loan locked, the charge rules, the unpaid installments, every write of the
    # payment in one statement, the stored answer, between BEGIN and COMMIT.
    statements = [sql for sql in groups[payment] if sql not in ("BEGIN", "COMMIT")]
    assert len(statements) <= 10, "\n".join(statements)
    assert groups[payment][-1] == "COMMIT"
    assert sum("cases_historicalpayment" in sql for sql in statements) == 1  # the one write statement
    # The loan's refresh ran after that transaction committed, in one of its own, in the same request.
    assert settling > payment
    assert groups[settling][0] == "BEGIN" and groups[settling][-1] == "COMMIT"


def test_the_case_is_settled_when_the_201_arrives(api, loan):
    case = Case.objects.get(loan=loan, status="open")
    overdue = loan.overdue_amount
    response = pay(api, amount=str(overdue))
    assert response.status_code == 201, response.json()
    body = response.json()
    payment = Payment.objects.get(external_id="P-1")
    # The answer is what was written.
    assert body["id"] == payment.pk
    written = PaymentAllocation.objects.filter(payment=payment).order_by("installment__seq")
    assert [(a["installment"], a["principal"]) for a in body["allocations"]] == [
        (a.installment.seq, str(a.principal)) for a in written
    ]
    assert sum(Decimal(a["principal"]) + Decimal(a["interest"]) + Decimal(a["fee"]) for a in body["allocations"]) == (
        overdue
    )
    # Both overdue installments are paid (with their "~" history rows), the case closed by the refresh,
    # and its payment event written before it closed.
    assert Installment.objects.filter(loan=loan, paid_off_at__isnull=False).count() == 2
    assert Installment.history.filter(loan_id=loan.pk, history_type="~").count() == 2
    assert Payment.history.filter(id=payment.pk, history_type="+").count() == 1
    case.refresh_from_db()
    assert case.status == "closed"
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PAYMENT)
    assert event.new_value == f"{overdue} CNY"
    assert event.data == {
        "payment": payment.pk,
        "external_id": "P-1",
        "paid_at": payment.paid_at.isoformat(),
        "recovery": False,
    }
    loan.refresh_from_db()
    assert loan.dpd == 0
    assert loan.overdue_amount == 0
    # The refresh's webhook for the closed case.
    assert WebhookEvent.objects.filter(platform=loan.platform, type=EventType.CASE_CLOSED).count() == 1
    # The API reads the same.
    assert api.get(f"/api/v1/cases/{case.pk}/").json()["status"] == "closed"


def test_a_payment_keeps_its_promise_when_the_201_arrives(api, loan):
    case = Case.objects.get(loan=loan, status="open")
    promise = promise_create(case=case, amount=Decimal("100.00"), due_date=timezone.localdate() + dt.timedelta(days=2))
    assert pay(api, paid_at=timezone.now().isoformat()).status_code == 201  # paid after the promise
    promise.refresh_from_db()
    assert (promise.paid_amount, promise.status) == (Decimal("100.00"), "kept")


def test_a_retry_replays_the_answer_and_settles_nothing_twice(api, loan):
    first = pay(api)
    again = pay(api)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert Payment.objects.count() == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PAYMENT).count() == 1
    assert IdempotencyRecord.objects.count() == 1
    # The same external id under another key: a 409, nothing written.
    assert pay(api, key="key-2").status_code == 409
    assert Payment.objects.count() == 1
    assert Installment.objects.get(loan=loan, seq=1).total_paid == Decimal("100.00")


def test_a_failed_settling_keeps_the_committed_payment(api, loan):
    @receiver(payment_recorded, dispatch_uid="test_settling_fails")
    def fail(sender: Any, payment: Payment, **kwargs: Any) -> None:
        raise RuntimeError("a receiver failed")

    try:
        response = pay(api)
    finally:
        payment_recorded.disconnect(dispatch_uid="test_settling_fails")
    # The payment's transaction had committed: the payment is on the ledger and answered as recorded;
    # the settling's own transaction rolled back (its refresh with it) and was queued again.
    assert response.status_code == 201, response.json()
    assert Payment.objects.filter(external_id="P-1").exists()
    assert pay(api).content == response.content  # a retry replays it
    assert Payment.objects.count() == 1
