"""Bulk uploads validate plain loans without the serializer machinery: same data, and anything the fast
path does not recognise (or finds wrong) goes through the serializer, so errors keep their shape."""

from __future__ import annotations

import pytest

from cases.serializers import LoanInputSerializer, _plain_loan

ITEM = {"seq": 1, "due_date": "2027-02-10", "principal_due": "1000.00", "interest_due": "20.00"}
LOAN = {
    "external_id": "L-1",
    "borrower": "B-1",
    "currency": "CNY",
    "principal": "6000.00",
    "disbursed_on": "2026-01-10",
    "installments": [{**ITEM, "seq": 2, "due_date": "2027-03-10"}, ITEM],
}


def _serializer_result(row):
    serializer = LoanInputSerializer(data=row)
    assert serializer.is_valid(), serializer.errors
    return dict(serializer.validated_data)


@pytest.mark.parametrize(
    "row",
    [
        LOAN,
        {**LOAN, "product": "microloan"},
        {**LOAN, "annual_rate": None},
        {**LOAN, "statute_limitations_date": "2032-01-01"},
        {**LOAN, "statute_limitations_date": None},
        {**LOAN, "external_id": "x" * 100},
    ],
)
def test_the_fast_path_gives_what_the_serializer_gives(row):
    assert _plain_loan(row, LoanInputSerializer()) == _serializer_result(row)


@pytest.mark.parametrize(
    "row",
    [
        {**LOAN, "annual_rate": "0.1825"},  # valid, but the serializer's path
        {**LOAN, "external_id": " L-1"},
        {**LOAN, "external_id": "x" * 101},
        {**LOAN, "external_id": ""},
        {**LOAN, "external_id": 12},
        {**LOAN, "borrower": "借款人"},
        {**LOAN, "currency": "cny"},
        {**LOAN, "currency": "XXY"},
        {**LOAN, "principal": "0.00"},
        {**LOAN, "principal": 6000},
        {**LOAN, "product": "car"},
        {**LOAN, "disbursed_on": "2026-02-30"},
        {**LOAN, "disbursed_on": "2028-01-10"},  # installments before the disbursement
        {**LOAN, "statute_limitations_date": "2020-01-01"},
        {**LOAN, "installments": []},
        {**LOAN, "installments": [ITEM, ITEM]},  # seq repeated
        {**LOAN, "installments": [{**ITEM, "seq": "1"}]},
        {**LOAN, "unknown": 1},
        {k: v for k, v in LOAN.items() if k != "currency"},
        None,
    ],
)
def test_anything_else_goes_through_the_serializer(row):
    assert _plain_loan(row, LoanInputSerializer()) is None


def test_a_bulk_list_mixes_both_paths_with_the_serializers_errors():
    rows = [LOAN, {**LOAN, "external_id": "L-2", "currency": "cny"}, {**LOAN, "external_id": "L-3"}]
    serializer = LoanInputSerializer(data=rows, many=True)
    assert not serializer.is_valid()
    errors = serializer.errors
    errors = errors if isinstance(errors, dict) else {i: e for i, e in enumerate(errors) if e}
    assert list(errors) == [1] and list(errors[1]) == ["currency"]


def test_the_fast_path_knows_every_field_of_the_serializer():
    # A field added to the serializer but not to the fast path would be dropped from plain rows.
    from cases.serializers import _INSTALLMENT_KEYS, _LOAN_KEYS, InstallmentInputSerializer

    assert set(LoanInputSerializer().fields) == _LOAN_KEYS
    assert set(InstallmentInputSerializer().fields) == _INSTALLMENT_KEYS
