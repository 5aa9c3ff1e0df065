"""Concurrent retries of one payment: exactly one is recorded, every answer is the first response."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import IdempotencyRecord
from cases.models import Installment, Payment, PaymentAllocation
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 8


def _race(keys: list[str], body: dict, api_key: str) -> list:
    barrier = threading.Barrier(len(keys))
    results: list = [None] * len(keys)

    def worker(i: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
        try:
            barrier.wait()
            results[i] = client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=keys[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def loan(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1", currency="CNY")
    factories.InstallmentFactory(loan=loan, seq=1)
    return loan


def test_concurrent_identical_requests_write_once_and_answer_alike(platform, loan):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "100.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    results = _race(["same-key"] * N, body, platform.plain_api_key)
    assert [r.status_code for r in results] == [201] * N
    assert len({r.content for r in results}) == 1
    assert Payment.objects.count() == 1
    assert PaymentAllocation.objects.count() == 1
    assert Installment.objects.get().total_paid == Decimal("100.00")
    assert IdempotencyRecord.objects.count() == 1


def test_concurrent_different_keys_for_one_payment_never_duplicate(platform, loan):
    body = {"external_id": "P-1", "loan": "L-1", "amount": "100.00", "paid_at": "2026-01-01T08:00:00+08:00"}
    # each thread its own key: one 201, the rest 409 (on external_id, or a conflicting write)
    threads_results = _race([f"key-{i}" for i in range(N)], body, platform.plain_api_key)
    codes = sorted(r.status_code for r in threads_results)
    assert codes == [201] + [409] * (N - 1)
    assert Payment.objects.count() == 1
    assert Installment.objects.get().total_paid == Decimal("100.00")
