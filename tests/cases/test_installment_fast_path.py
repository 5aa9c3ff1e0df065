"""Bulk uploads validate plain installments without the serializer machinery: same data, same errors."""

from __future__ import annotations

import pytest

from cases.serializers import InstallmentInputSerializer, LoanInputSerializer, _plain_installment

BASE = {"seq": 1, "due_date": "2027-02-10", "principal_due": "1000.00", "interest_due": "20.00"}


@pytest.mark.parametrize(
    "item",
    [
        BASE,
        {**BASE, "fee_due": "5.00"},
        {"seq": 3, "due_date": "2027-02-10", "principal_due": "0.00", "interest_due": "0.01"},
        {"seq": 10_000, "due_date": "8999-12-31", "principal_due": "999999999999.99"},
        {"seq": 1, "due_date": "1900-01-01", "principal_due": "0.01"},
    ],
)
def test_the_fast_path_gives_what_the_serializer_gives(item):
    serializer = InstallmentInputSerializer(data=item)
    assert serializer.is_valid(), serializer.errors
    assert _plain_installment(item) == dict(serializer.validated_data)


@pytest.mark.parametrize(
    "item",
    [
        {**BASE, "seq": 0},
        {**BASE, "seq": 10_001},
        {**BASE, "seq": True},
        {**BASE, "seq": "1"},
        {**BASE, "seq": 1.0},
        {**BASE, "due_date": "2027-02-30"},
        {**BASE, "due_date": "2027-2-10"},
        {**BASE, "due_date": "0001-01-01"},
        {**BASE, "due_date": "9000-01-02"},
        {**BASE, "due_date": 20270210},
        {**BASE, "principal_due": "-1.00"},
        {**BASE, "principal_due": "1000"},
        {**BASE, "principal_due": "1000.001"},
        {**BASE, "principal_due": 1000},
        {**BASE, "principal_due": "1e3"},
        {**BASE, "principal_due": "1234567890123.00"},
        {**BASE, "principal_due": "0.00", "interest_due": "0.00"},
        {**BASE, "interest_due": None},
        {**BASE, "extra": 1},
        {"seq": 1, "due_date": "2027-02-10"},
        ["not", "a", "dict"],
        None,
    ],
)
def test_anything_else_goes_through_the_serializer(item):
    assert _plain_installment(item) is None


def test_errors_in_a_list_keep_their_shape():
    row = {
        "external_id": "L-1",
        "borrower": "B-1",
        "currency": "CNY",
        "principal": "6000.00",
        "disbursed_on": "2026-01-10",
        "installments": [BASE, {**BASE, "seq": 2, "due_date": "2027-02-30"}, {**BASE, "seq": 3}],
    }
    serializer = LoanInputSerializer(data=[row], many=True)
    assert not serializer.is_valid()
    errors = serializer.errors
    errors = errors[0] if isinstance(errors, list) else errors[0]
    assert list(errors) == ["installments"]
    item_errors = errors["installments"]
    item_errors = item_errors if isinstance(item_errors, dict) else dict(enumerate(item_errors))
    assert {i: e for i, e in item_errors.items() if e} == {1: {"due_date": [item_errors[1]["due_date"][0]]}}

    good = LoanInputSerializer(data=[{**row, "installments": [{**BASE, "seq": 2}, BASE]}], many=True)
    assert good.is_valid(), good.errors
    assert [i["seq"] for i in good.validated_data[0]["installments"]] == [1, 2]
