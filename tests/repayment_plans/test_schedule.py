import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from repayment_plans.schedule import add_months, build_schedule, due_dates, months_spanned, shift_schedule, split_evenly

D = Decimal


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        ("1000.00", 3, ["333.33", "333.33", "333.34"]),
        ("100.00", 7, ["14.28"] * 6 + ["14.32"]),
        ("0.05", 5, ["0.01"] * 5),
        ("3180.00", 1, ["3180.00"]),
        ("2000.01", 2, ["1000.00", "1000.01"]),
    ],
)
def test_it_splits_to_the_cent_with_the_remainder_on_the_last(total, count, expected):
    parts = split_evenly(D(total), count)
    assert parts == [D(x) for x in expected]
    assert sum(parts) == D(total)


@pytest.mark.parametrize("count", range(1, 37))
def test_every_split_of_an_awkward_amount_adds_up(count):
    total = D("9876.53")
    parts = split_evenly(total, count)
    assert sum(parts) == total
    assert all(p == p.quantize(D("0.01")) and p > 0 for p in parts)


def test_monthly_dates_keep_the_31st_where_the_month_has_one():
    assert due_dates(dt.date(2026, 1, 31), 4, "monthly") == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]
    assert add_months(dt.date(2027, 12, 15), 1) == dt.date(2028, 1, 15)


def test_weekly_and_biweekly_dates():
    first = dt.date(2026, 3, 2)
    assert due_dates(first, 3, "weekly") == [first, dt.date(2026, 3, 9), dt.date(2026, 3, 16)]
    assert due_dates(first, 2, "biweekly") == [first, dt.date(2026, 3, 16)]


def test_custom_amounts_must_add_up_to_the_total():
    with pytest.raises(ValidationError) as exc:
        build_schedule(
            total=D("1000.00"),
            count=3,
            frequency="monthly",
            first_due_date=dt.date(2026, 5, 1),
            amounts=[D("300.00"), D("300.00"), D("300.00")],
        )
    assert "amounts" in exc.value.message_dict
    lines = build_schedule(
        total=D("1000.00"),
        count=3,
        frequency="monthly",
        first_due_date=dt.date(2026, 5, 1),
        amounts=[D("200.00"), D("300.00"), D("500.00")],
    )
    assert [(line.seq, line.due_date, line.amount) for line in lines] == [
        (1, dt.date(2026, 5, 1), D("200.00")),
        (2, dt.date(2026, 6, 1), D("300.00")),
        (3, dt.date(2026, 7, 1), D("500.00")),
    ]


def test_too_many_installments_for_a_few_cents_is_refused():
    with pytest.raises(ValidationError) as exc:
        build_schedule(total=D("0.02"), count=3, frequency="weekly", first_due_date=dt.date(2026, 5, 1))
    assert "installment_count" in exc.value.message_dict


def test_a_deferral_moves_every_open_date_by_the_same_gap_and_drops_paid_ones():
    lines = shift_schedule(
        [(dt.date(2026, 1, 10), D("100.00")), (dt.date(2026, 2, 10), D("0")), (dt.date(2026, 3, 10), D("50.00"))],
        dt.date(2026, 4, 10),
    )
    assert [(line.due_date, line.amount) for line in lines] == [
        (dt.date(2026, 4, 10), D("100.00")),
        (dt.date(2026, 6, 8), D("50.00")),
    ]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2026, 1, 15), dt.date(2026, 1, 15), 0),
        (dt.date(2026, 1, 15), dt.date(2026, 1, 20), 1),
        (dt.date(2026, 1, 15), dt.date(2026, 7, 15), 6),
        (dt.date(2026, 1, 15), dt.date(2026, 7, 16), 7),
    ],
)
def test_a_started_month_counts_for_the_term(start, end, months):
    assert months_spanned(start, end) == months
