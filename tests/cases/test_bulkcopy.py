"""New loans of a bulk upload and their history rows (cases.bulkcopy: COPY on PostgreSQL, simple-history's
bulk create elsewhere): every column of each row and of its "+" history row is what was sent, or the field's
default, and the two agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from cases.models import Installment, Loan
from tests import factories
from tests.api.helpers import loan_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/loans/bulk/"


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _history_columns(record, model) -> dict:
    return {f.attname: getattr(record, f.attname) for f in model._meta.concrete_fields}


def test_each_new_loan_and_installment_is_written_once_for_its_table_and_its_history(api, platform):
    factories.BorrowerFactory(platform=platform, external_id="B-1")
    plain = loan_payload(external_id="L-PLAIN")
    plain.pop("annual_rate", None)
    full = {
        **loan_payload(external_id="L-FULL", product="consumer_loan"),
        "annual_rate": "0.1825",
        "statute_limitations_date": "2031-05-04",
    }
    full["installments"][0]["fee_due"] = "3.25"

    response = api.post(URL, {"loans": [plain, full]}, format="json")

    assert response.status_code == 200, response.json()
    loan = Loan.objects.get(external_id="L-FULL")
    assert (loan.annual_rate, loan.statute_limitations_date) == (Decimal("0.1825"), dt.date(2031, 5, 4))
    assert loan.written_off_on is None and loan.written_off_amount is None
    # One instant on PostgreSQL; SQLite's bulk_create stamps each field as it goes.
    assert abs(loan.updated_at - loan.created_at) < dt.timedelta(seconds=1)
    assert Loan.objects.get(external_id="L-PLAIN").annual_rate is None
    for loan in Loan.objects.all():
        [record] = loan.history.all()
        assert record.history_type == "+" and record.history_user_id is None
        assert abs(record.history_date - loan.created_at) < dt.timedelta(seconds=1)
        assert _history_columns(record, Loan) == _columns(loan)
        installments = list(loan.installments.order_by("seq"))
        assert [i.seq for i in installments] == [1, 2, 3]
        for installment in installments:
            [record] = Installment.history.filter(id=installment.pk)
            assert record.history_type == "+"
            assert _history_columns(record, Installment) == _columns(installment)
    first = Installment.objects.get(loan__external_id="L-FULL", seq=1)
    assert first.fee_due == Decimal("3.25") and first.principal_paid == 0 and first.paid_off_at is None
    sent = {k: str(v) for k, v in full["installments"][0].items()}
    assert {k: str(v) for k, v in model_to_dict(first, fields=list(sent)).items()} == sent
