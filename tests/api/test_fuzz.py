"""No input makes the API answer 5xx: odd JSON values in every field of every write endpoint."""

from __future__ import annotations

import pytest

from tests import factories

from .helpers import borrower_payload, loan_payload

pytestmark = pytest.mark.django_db

ODD_VALUES = [None, "", "\x00", "x" * 5000, 10**40, -(10**40), 1.5e308, True, [], {}, [[]], {"a": {"b": []}}, "💥"]


@pytest.fixture
def world(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1")
    factories.InstallmentFactory(loan=loan, seq=1)
    case = factories.CaseFactory(loan=loan)
    hold = factories.HoldFactory(borrower=borrower)
    return {"case": case, "hold": hold}


def _endpoints(world):
    payment = {"external_id": "P-1", "loan": "L-1", "amount": "1.00", "paid_at": "2026-01-01T00:00:00Z"}
    return [
        ("post", "/api/v1/borrowers/", borrower_payload(external_id="B-9")),
        ("patch", "/api/v1/borrowers/B-1/", borrower_payload(external_id="B-1")),
        ("post", "/api/v1/borrowers/B-1/holds/", {"kind": "dispute", "loan": "L-1", "note": "x"}),
        ("patch", f"/api/v1/holds/{world['hold'].pk}/", {"ends_at": "2030-01-01T00:00:00Z"}),
        ("post", "/api/v1/borrowers/B-1/opt-outs/", {"channel": "sms", "to": "+8613912345678"}),
        ("post", "/api/v1/loans/", loan_payload(borrower="B-1", external_id="L-9")),
        ("post", "/api/v1/payments/", payment),
        ("post", f"/api/v1/cases/{world['case'].pk}/promises/", {"amount": "1.00", "due_date": "2099-01-01"}),
    ]


def test_no_odd_value_in_any_field_gives_a_5xx(api, world):
    n = 0
    for method, url, good in _endpoints(world):
        for field in good:
            for value in ODD_VALUES:
                body = {**good, field: value}
                r = getattr(api, method)(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"fuzz-{n}")
                n += 1
                assert r.status_code < 500, (method, url, field, value, r.content[:300])


@pytest.mark.parametrize("body", [b"\xff\xfe", b"{", b"[1,2", b'{"a": NaN}', b"1e999", b'"\\ud800"'])
def test_garbage_bodies_are_400(api, world, body):
    for url in ["/api/v1/borrowers/", "/api/v1/loans/", "/api/v1/loans/bulk/"]:
        r = api.post(url, body, content_type="application/json")
        assert r.status_code == 400, (url, body, r.content[:200])
    r = api.post("/api/v1/payments/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="g")
    assert r.status_code == 400


def test_odd_query_parameters_are_not_5xx(api, world):
    for url in ["/api/v1/borrowers/", "/api/v1/loans/", "/api/v1/cases/"]:
        for qs in [
            "limit=-1",
            "offset=-5",
            "limit=abc",
            "limit=99999999999999999999",
            "offset=99999999999999999999",
            "stage=\x00",
            "borrower=%00",
        ]:
            assert api.get(f"{url}?{qs}").status_code < 500, (url, qs)
