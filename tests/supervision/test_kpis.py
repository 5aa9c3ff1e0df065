"""The standard KPIs of docs/kpis.md against a small book worked out by hand: promise kept rate by count
and by amount, right-party contact rate, liquidation rate, and the drill-down from each figure to exactly
the cases behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cases.models import Case, CaseEvent
from supervision import selectors
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory

from .factories import CaseEventFactory, ContactFactory, PaymentFactory, PromiseFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)  # the period: January, February and March 2025
NOON = dt.datetime(2025, 3, 20, 12, tzinfo=dt.UTC)


def at(month: int, day: int, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def book(platform, collector):
    def case(stage: str, overdue: str, opened: dt.datetime, currency: str = "CNY", **kwargs) -> Case:
        c = CaseFactory(
            loan=LoanFactory(borrower=BorrowerFactory(platform=platform), currency=currency),
            assigned_to=collector,
            stage=stage,
            overdue_amount=Decimal(overdue),
            **kwargs,
        )
        Case.objects.filter(pk=c.pk).update(opened_at=opened)
        CaseEventFactory(case=c, kind=CaseEvent.Kind.OPENED, new_value=stage if stage != "pre_due" else "m1", at=opened)
        return c

    p = case("m1", "600.00", at(1, 10))
    q = case("m2", "300.00", at(2, 1), currency="USD")
    r = case("m1", "0.00", at(1, 25), status="closed", closed_at=at(2, 20), close_reason="paid_off")
    s = case("m1", "0.00", at(11, 1, 2024), status="closed", closed_at=at(12, 20, 2024), close_reason="paid_off")
    u = case("m1", "50.00", at(3, 10))

    for cs, status, amount, paid, due in (
        (p, "kept", "200.00", "200.00", dt.date(2025, 1, 15)),
        (p, "broken", "300.00", "0.00", dt.date(2025, 2, 10)),
        (r, "partly_kept", "400.00", "100.00", dt.date(2025, 2, 15)),
        (r, "kept", "100.00", "150.00", dt.date(2025, 3, 1)),  # overpaid: counts 100.00
        (q, "kept", "50.00", "50.00", dt.date(2025, 3, 2)),
        (q, "pending", "70.00", "0.00", dt.date(2025, 3, 25)),  # not resolved: out
        (p, "kept", "500.00", "500.00", dt.date(2024, 12, 1)),  # due before the period: out
        (s, "broken", "80.00", "0.00", dt.date(2024, 12, 5)),  # out
    ):
        PromiseFactory(case=cs, status=status, amount=Decimal(amount), paid_amount=Decimal(paid), due_date=due)

    def contact(cs: Case, when: dt.datetime, **kwargs):
        return ContactFactory(borrower=cs.borrower, case=cs, loan=cs.loan, at=when, **kwargs)

    contact(p, at(1, 11), outcome="right_party")
    contact(p, at(1, 12), outcome="no_answer")
    contact(q, at(2, 3), outcome="promise")
    contact(q, at(2, 4), party="third_party", outcome="third_party_reached")
    contact(r, at(2, 5), outcome="connected")
    contact(r, at(2, 6), channel="sms", outcome="delivered")
    contact(p, at(3, 3), direction="inbound", outcome="connected")
    contact(u, at(3, 11), channel="sms", outcome="delivered")
    contact(s, at(12, 1, 2024), outcome="right_party")

    for cs, when, amount in (
        (p, at(1, 20), "250.00"),
        (q, at(2, 10), "100.00"),
        (r, at(2, 19), "900.00"),
        (s, at(12, 10, 2024), "500.00"),  # before the period
    ):
        PaymentFactory(loan=cs.loan, currency=cs.loan.currency, paid_at=when, amount=Decimal(amount))
    return {"p": p, "q": q, "r": r, "s": s, "u": u}


@pytest.fixture
def figures(book, admin_user):
    return selectors.dashboard(user=admin_user, months=3, today=TODAY)


def test_promise_kept_rate_by_count(figures):
    # Resolved and due in the period: P kept, P broken, R partly kept, R kept, Q kept → 3 of 5.
    assert (figures["promises"]["kept"], figures["promises"]["resolved"], figures["promises"]["rate"]) == (3, 5, 60.0)


def test_promise_kept_rate_by_amount_per_currency(figures):
    # CNY: promised 200 + 300 + 400 + 100 = 1,000; paid 200 + 0 + 100 + min(150, 100) = 400 → 40%.
    # USD: promised 50, paid 50 → 100%. Never one figure over both currencies.
    assert figures["promise_amounts"] == [
        {"currency": "CNY", "promised": Decimal("1000.00"), "paid": Decimal("400.00"), "rate": 40.0},
        {"currency": "USD", "promised": Decimal("50.00"), "paid": Decimal("50.00"), "rate": 100.0},
    ]


def test_right_party_contact_rate(figures):
    # Outbound calls in the period: P ×2, Q ×2, R ×1 = 5 (the SMS, the inbound call and S's December call
    # are not attempts of the period); reached the borrower: P right party, Q promise, R connected = 3.
    contacts = figures["contacts"]
    assert (contacts["right_party"], contacts["calls"], contacts["rate"]) == (3, 5, 60.0)


def test_liquidation_rate_per_currency(figures):
    # Recovered in the period: CNY 250 (P) + 900 (R) = 1,150; USD 100 (Q). S's December payment is out.
    # Worked in the period: P, Q, R, U (S was closed in December); still overdue: CNY 600 + 0 + 50 = 650,
    # USD 300. CNY 1,150 / (1,150 + 650) = 63.9%; USD 100 / (100 + 300) = 25%.
    assert figures["liquidation"] == [
        {"currency": "CNY", "recovered": Decimal("1150.00"), "outstanding": Decimal("650.00"), "rate": 63.9},
        {"currency": "USD", "recovered": Decimal("100.00"), "outstanding": Decimal("300.00"), "rate": 25.0},
    ]


@pytest.mark.parametrize(
    ("kpi", "expected"),
    [
        ("promises", "pqr"),
        ("promises_missed", "pr"),
        ("rpc", "pqr"),
        ("recovered", "pqr"),
        ("liquidation", "pqru"),
        # Entered delinquency by 19 February (the 30-day window over): P, Q, R; R paid off 26 days in.
        ("cure", "pqr"),
        ("cure_missed", "pq"),
    ],
)
def test_each_figure_drills_down_to_exactly_its_cases(book, admin_user, kpi, expected):
    scope = selectors.dashboard_scope(user=admin_user)
    period = selectors.Period.last(3, TODAY)
    cases = selectors.kpi_cases(scope, period, kpi, now=dt.datetime(2025, 3, 21, tzinfo=dt.UTC))
    assert set(cases.values_list("pk", flat=True)) == {book[k].pk for k in expected}


@time_machine.travel(NOON, tick=True)
def test_the_dashboard_links_each_figure_to_its_case_list(client, book, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("supervision:dashboard"), {"months": 3}).content.decode()
    link = reverse("supervision:kpi-cases", args=["promises_missed"]) + "?months=3"
    assert f'href="{link}"' in html
    assert '40.0% <span class="currency">CNY</span>' in html  # promise kept by amount
    assert '63.9% <span class="currency">CNY</span>' in html and '25.0% <span class="currency">USD</span>' in html

    page = client.get(link)
    assert page.status_code == 200
    assert {c.pk for c in page.context["cases"]} == {book["p"].pk, book["r"].pk}
    assert "Cases with a promise not kept in full" in page.content.decode()


@time_machine.travel(NOON, tick=True)
def test_a_drill_down_is_for_supervisors_and_known_figures(client, book, admin_user, collector):
    client.force_login(admin_user)
    assert client.get(reverse("supervision:kpi-cases", args=["nonsense"])).status_code == 404
    client.force_login(collector)
    assert client.get(reverse("supervision:kpi-cases", args=["rpc"])).status_code == 403
