"""Dashboard figures against a book whose every number was worked out by hand (see each test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from supervision import selectors
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory

from .factories import CaseEventFactory, ContactFactory, DecisionFactory, PaymentFactory, PromiseFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 3, 20)  # the period is January, February and March 2025


def at(month: int, day: int, hour: int = 10, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def portfolio(platform, other_platform, collector, other_collector, agency_collector, agency):
    def case(assignee, stage: str, overdue: str, opened: dt.datetime, **kwargs) -> Case:
        borrower = BorrowerFactory(platform=kwargs.pop("on", platform))
        c = CaseFactory(
            loan=LoanFactory(borrower=borrower),
            assigned_to=assignee,
            stage=stage,
            overdue_amount=Decimal(overdue),
            **kwargs,
        )
        Case.objects.filter(pk=c.pk).update(opened_at=opened)
        CaseEventFactory(case=c, kind=CaseEvent.Kind.OPENED, new_value="m1", at=opened)
        return c

    a = case(collector, "m2", "100.00", at(1, 10))
    b = case(other_collector, "m1", "250.00", at(2, 5))
    c = case(agency_collector, "m3", "50.00", at(12, 1, year=2024), agency=agency)
    d = case(collector, "m1", "0.00", at(1, 20), status="closed", closed_at=at(2, 15), close_reason="cured")
    e = case(other_collector, "m1", "0.00", at(3, 1, 8), status="closed", closed_at=at(3, 10), close_reason="paid_off")
    other = case(None, "m1", "999.00", at(1, 2), on=other_platform)
    # Stage moves: A m1→m2 on Feb 12; C m1→m2 on Jan 5, m2→m3 on Feb 6.
    for cs, old, new, when in ((a, "m1", "m2", at(2, 12)), (c, "m1", "m2", at(1, 5)), (c, "m2", "m3", at(2, 6))):
        CaseEventFactory(case=cs, kind=CaseEvent.Kind.STAGE_CHANGED, old_value=old, new_value=new, at=when)

    for cs, status, due in (
        (a, "kept", dt.date(2025, 1, 15)),
        (b, "broken", dt.date(2025, 2, 10)),
        (b, "partly_kept", dt.date(2025, 2, 20)),
        (a, "pending", dt.date(2025, 3, 5)),
        (e, "kept", dt.date(2025, 3, 1)),
        (a, "kept", dt.date(2024, 12, 1)),
    ):
        PromiseFactory(case=cs, status=status, due_date=due)

    def contact(cs: Case, when: dt.datetime, **kwargs):
        return ContactFactory(borrower=cs.borrower, case=cs, loan=cs.loan, at=when, **kwargs)

    contact(a, at(1, 10), outcome="right_party")
    contact(a, at(1, 11), outcome="no_answer")
    contact(b, at(2, 3), outcome="promise")
    contact(b, at(2, 4), party="third_party", outcome="third_party_reached")
    contact(e, at(3, 2), outcome="connected")
    contact(c, at(3, 3), channel="sms", outcome="delivered")
    contact(e, at(3, 4), direction="inbound", outcome="connected")

    for cs, when, amount in (
        (a, at(1, 12), "100.00"),
        (a, at(1, 5), "999.00"),  # before collection started on A: not recovered
        (b, at(2, 20), "200.00"),
        (c, at(3, 5), "300.00"),
        (d, at(2, 14), "400.00"),
        (d, at(2, 20), "50.00"),  # after D was closed
        (e, at(3, 9), "500.00"),
    ):
        PaymentFactory(loan=cs.loan, paid_at=when, amount=Decimal(amount))

    for cs, when, reasons, extra in (
        (a, at(1, 15), ["quiet_hours"], {}),
        (b, at(2, 1), ["quiet_hours", "daily_answered_cap"], {}),
        (b, at(3, 1), ["quiet_hours"], {"dry_run": True}),
        (b, at(12, 1, year=2024), ["quiet_hours"], {}),
    ):
        DecisionFactory(
            borrower=cs.borrower, case=cs, at=when, allowed=False, reasons=[{"code": r} for r in reasons], **extra
        )
    DecisionFactory(borrower=a.borrower, case=a, at=at(3, 2), allowed=True)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "other": other}


@pytest.fixture
def figures(portfolio, admin_user):
    return selectors.dashboard(user=admin_user, months=3, today=TODAY)


def test_months(figures):
    assert figures["months"] == ["2025-01", "2025-02", "2025-03"]


def test_open_cases_and_amounts_by_stage(figures):
    stages = {s["stage"]: (s["cases"], s["amount"]) for s in figures["stages"]}
    # Open: A m2 100, B m1 250, C m3 50, the other platform's m1 999.
    assert stages == {
        "pre_due": (0, 0),
        "m1": (2, Decimal("1249.00")),
        "m2": (1, Decimal("100.00")),
        "m3": (1, Decimal("50.00")),
        "m3_plus": (0, 0),
    }


def test_roll_rates(figures):
    # Jan: only C is in a stage on Jan 1 (m1) and is m2 on Feb 1.
    # Feb: on Feb 1 A, D and the other platform's case are m1, C m2; on Mar 1 A is m2, D closed, C m3.
    # Mar: on Mar 1 B and the other case m1, A m2, C m3 (E opened later that day); nobody moves by Apr 1.
    assert figures["roll_rates"] == {
        "pre_due>m1": [None, None, None],
        "m1>m2": [100.0, 33.3, 0.0],
        "m2>m3": [None, 100.0, 0.0],
        "m3>m3_plus": [None, None, 0.0],
    }


def test_cure_rate(figures):
    # Opened in the period: A, D, the other platform's case (Jan), B (Feb), E (Mar) = 5; cured D (Feb), E (Mar).
    assert figures["cure"] == {"opened": 5, "cured": 2, "rate": 40.0, "by_month": [0.0, 100.0, 100.0]}


def test_promise_kept_rate(figures):
    # Resolved and due in the period: kept Jan, broken Feb, partly kept Feb, kept Mar → 2 of 4.
    assert figures["promises"] == {"resolved": 4, "kept": 2, "rate": 50.0, "by_month": [100.0, 0.0, 100.0]}


def test_right_party_contact_rate(figures):
    # Outbound calls: 2 in Jan (1 RPC), 2 in Feb (1 RPC; the third party does not count), 1 in Mar (RPC).
    contacts = figures["contacts"]
    assert (contacts["calls"], contacts["right_party"], contacts["rate"]) == (5, 3, 60.0)
    assert contacts["by_month"] == [50.0, 50.0, 100.0]
    assert contacts["contacts_by_month"] == [2, 2, 3]


def test_recovered_amounts(figures):
    recovered = figures["recovered"]
    assert recovered["total"] == Decimal("1500.00")
    assert recovered["by_month"] == [Decimal("100.00"), Decimal("600.00"), Decimal("800.00")]
    as_dict = {k: {r["key"]: r["amount"] for r in recovered[k]} for k in ("by_channel", "by_collector", "by_agency")}
    # A's payment follows a call the day before; E's a call a week earlier; C's an SMS; B's and D's nothing.
    assert as_dict["by_channel"] == {"call": Decimal("600.00"), "none": Decimal("600.00"), "sms": Decimal("300.00")}
    assert as_dict["by_collector"] == {
        "collector": Decimal("500.00"),
        "collector2": Decimal("700.00"),
        "agent": Decimal("300.00"),
    }
    assert as_dict["by_agency"] == {"": Decimal("1200.00"), "Acme Recoveries": Decimal("300.00")}


def test_compliance_blocks(figures):
    # Dry runs, allowed decisions and December's block are not counted.
    assert figures["blocks"] == {
        "by_rule": [("quiet_hours", 2), ("daily_answered_cap", 1)],
        "by_month": [1, 1, 0],
        "total": 2,
    }


def test_platform_and_team_filters(portfolio, admin_user, platform, team):
    by_platform = selectors.dashboard(user=admin_user, months=3, today=TODAY, platform=platform)
    assert {s["stage"]: s["cases"] for s in by_platform["stages"]}["m1"] == 1
    by_team = selectors.dashboard(user=admin_user, months=3, today=TODAY, team=team)
    # The team's collectors hold A, B, D and E; the agency's C is not the team's.
    assert {s["stage"]: s["cases"] for s in by_team["stages"] if s["cases"]} == {"m1": 1, "m2": 1}
    assert by_team["recovered"]["total"] == Decimal("1200.00")


def test_a_team_supervisor_sees_their_team_and_agency_placements(portfolio, supervisor):
    figures = selectors.dashboard(user=supervisor, months=3, today=TODAY)
    # Open cases of the team (A, B), the unassigned pool the supervisor distributes (the other platform's
    # case) and the agency placement (C).
    assert {s["stage"]: s["cases"] for s in figures["stages"] if s["cases"]} == {"m1": 2, "m2": 1, "m3": 1}


def test_the_page_renders_with_a_bounded_number_of_queries(
    client, portfolio, supervisor, django_assert_max_num_queries
):
    client.force_login(supervisor)
    # 12 months: one roll-rate query per month plus a fixed number for everything else.
    with django_assert_max_num_queries(35):
        response = client.get(reverse("supervision:dashboard"), {"months": 12})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-data"' in html
    assert "js/vendor/chart.umd.min.js" in html
    assert html.count("<canvas") == 8
