"""Agencies: placement and recall, the evaluation date, commission, and agency users' isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from cases.models import CaseEvent
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from supervision import selectors, services
from supervision.models import AgencyContract
from tests.factories import AgencyFactory, BorrowerFactory, CaseFactory, LoanFactory, PhoneFactory, UserFactory

from .factories import CaseEventFactory, PaymentFactory

pytestmark = pytest.mark.django_db

# The agency rules compare dates with today: the clock is fixed at midday so that no run straddles midnight.
NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def contract(agency):
    return AgencyContract.objects.create(
        agency=agency, commission_percent=Decimal("12.50"), evaluation_due_on=TODAY + dt.timedelta(days=90)
    )


@pytest.fixture
def open_case(platform, collector):
    return CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)), assigned_to=collector, stage="m3")


def test_placing_a_case_hands_it_to_the_agency_with_an_event(open_case, agency, contract, supervisor, collector):
    services.case_place(case=open_case, agency=agency, user=supervisor, reason="90+ and no contact")

    open_case.refresh_from_db()
    assert (open_case.agency, open_case.assigned_to) == (agency, None)
    event = open_case.events.get(kind=CaseEvent.Kind.PLACED)
    assert (event.new_value, event.actor, event.reason) == (agency.name, supervisor, "90+ and no contact")
    assert event.data["previous_assignee"] == collector.username
    assert open_case.history.first().history_user == supervisor


def test_placement_is_refused_when_the_evaluation_is_overdue(open_case, agency, contract, supervisor):
    contract.evaluation_due_on = TODAY - dt.timedelta(days=1)
    contract.save()

    with pytest.raises(ValidationError) as excinfo:
        services.case_place(case=open_case, agency=agency, user=supervisor, reason="x")

    assert "evaluation was due" in str(excinfo.value)
    open_case.refresh_from_db()
    assert open_case.agency is None


def test_placement_needs_a_contract_and_a_supervisor(open_case, agency, supervisor, collector):
    with pytest.raises(ValidationError, match="no contract"):
        services.case_place(case=open_case, agency=agency, user=supervisor, reason="x")
    AgencyContract.objects.create(agency=agency, evaluation_due_on=TODAY)
    with pytest.raises(PermissionDenied):
        services.case_place(case=open_case, agency=agency, user=collector, reason="x")
    services.case_place(case=open_case, agency=agency, user=supervisor, reason="due today is still allowed")


def test_recall_returns_the_case_to_the_pool(open_case, agency, contract, supervisor):
    services.case_place(case=open_case, agency=agency, user=supervisor, reason="x")
    services.case_recall(case=open_case, user=supervisor, reason="Complaint about the agency")

    open_case.refresh_from_db()
    assert open_case.agency is None and open_case.assigned_to is None
    recall = open_case.events.filter(kind=CaseEvent.Kind.RECALLED).order_by("-id").first()
    assert (recall.old_value, recall.new_value, recall.data["action"]) == (agency.name, "", "recall")
    with pytest.raises(ValidationError):
        services.case_recall(case=open_case, user=supervisor, reason="again")


def test_bulk_placement_takes_the_highest_priority_cases_of_the_stage(
    platform, collector, agency, contract, supervisor
):
    cases = [
        CaseFactory(
            loan=LoanFactory(borrower=BorrowerFactory(platform=platform)),
            assigned_to=collector,
            stage="m3_plus",
            priority=p,
        )
        for p in (10, 50, 30)
    ]
    CaseFactory(
        loan=LoanFactory(borrower=BorrowerFactory(platform=platform)), assigned_to=collector, stage="m2", priority=99
    )

    placed = services.cases_place_by_stage(stage="m3_plus", agency=agency, max_count=2, user=supervisor, reason="x")

    assert set(placed) == {cases[1].pk, cases[2].pk}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PLACED).count() == 2


def test_commission_counts_payments_received_while_placed(open_case, agency, contract, supervisor):
    """Hand-computed: placed on day 0, recalled on day 10, placed again on day 20 (still placed).
    Payments: day -5 (before) 100, day 3 200, day 12 (recalled) 400, day 25 800 → 200 + 800 = 1000 recovered;
    commission 12.50% = 125.00."""
    start = timezone.now() - dt.timedelta(days=30)
    loan = open_case.loan
    for day, value, action in ((0, agency.name, "place"), (10, "", "recall"), (20, agency.name, "place")):
        CaseEventFactory(
            case=open_case,
            kind=CaseEvent.Kind.PLACED if value else CaseEvent.Kind.RECALLED,
            new_value=value,
            old_value="" if value else agency.name,
            at=start + dt.timedelta(days=day),
            data={"action": action, "agency_id": agency.pk},
        )
    open_case.agency = agency
    open_case.save()
    for day, amount in ((-5, "100.00"), (3, "200.00"), (12, "400.00"), (25, "800.00")):
        PaymentFactory(loan=loan, amount=Decimal(amount), paid_at=start + dt.timedelta(days=day))
    other = AgencyFactory(name="Other Agency")

    summaries = {s.agency: s for s in selectors.agency_summaries()}

    mine = summaries[agency]
    assert (mine.placed_open, mine.recovered, mine.commission) == (
        1,
        {"CNY": Decimal("1000.00")},
        {"CNY": Decimal("125.00")},
    )
    assert (summaries[other].recovered, summaries[other].commission) == ({}, {})


def test_agency_amounts_are_per_currency_never_added(client, platform, agency, contract, supervisor):
    """Two placed cases, 300.00 CNY and 40.00 USD overdue, each paid 100.00 in its own currency while
    placed: the page shows each currency with its code, and no figure of 340 or 200."""
    start = timezone.now() - dt.timedelta(days=10)
    for currency, overdue in (("CNY", "300.00"), ("USD", "40.00")):
        case = CaseFactory(
            loan=LoanFactory(borrower=BorrowerFactory(platform=platform), currency=currency),
            overdue_amount=Decimal(overdue),
            stage="m2",
        )
        services.case_place(case=case, agency=agency, user=supervisor, reason="x")
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PLACED).update(at=start)
        PaymentFactory(
            loan=case.loan, currency=currency, amount=Decimal("100.00"), paid_at=start + dt.timedelta(days=1)
        )

    mine = {s.agency: s for s in selectors.agency_summaries()}[agency]
    assert mine.placed_amount == {"CNY": Decimal("300.00"), "USD": Decimal("40.00")}
    assert mine.recovered == {"CNY": Decimal("100.00"), "USD": Decimal("100.00")}
    assert mine.commission == {"CNY": Decimal("12.50"), "USD": Decimal("12.50")}

    client.force_login(supervisor)
    html = client.get(reverse("supervision:agencies")).content.decode()
    row = html[html.index('id="agency-summaries"') :]
    row = row[: row.index("</table>")]
    for text in ('300.00 <span class="currency">CNY</span>', '40.00 <span class="currency">USD</span>'):
        assert text in row
    assert "340" not in row and "200.00" not in row


def test_an_agency_user_reading_another_agencys_case_gets_404(client, platform, agency, contract, supervisor):
    rival = AgencyFactory(name="Rival Collections")
    AgencyContract.objects.create(agency=rival, evaluation_due_on=TODAY + dt.timedelta(days=30))
    ours = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)))
    theirs = CaseFactory(loan=LoanFactory(borrower=BorrowerFactory(platform=platform)))
    services.case_place(case=ours, agency=agency, user=supervisor, reason="x")
    services.case_place(case=theirs, agency=rival, user=supervisor, reason="x")
    agent = UserFactory(username="acme-agent", role=Role.AGENCY_COLLECTOR, agency=agency)

    client.force_login(agent)
    assert client.get(reverse("case-detail", args=[ours.pk])).status_code == 200
    assert client.get(reverse("case-detail", args=[theirs.pk])).status_code == 404
    # Nor do supervision pages open for them.
    assert client.get(reverse("supervision:audit")).status_code == 403
    assert client.get(reverse("supervision:agencies")).status_code == 403


def test_the_daily_cap_counts_in_house_and_agency_calls_together(platform, collector, agency_collector):
    """CN: 3 answered (or pending) outbound calls per borrower per local day, whoever makes them."""
    borrower = BorrowerFactory(platform=platform, region="CN-31", timezone="Asia/Shanghai")
    phone = PhoneFactory(borrower=borrower)
    morning = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    for minute in range(3):
        result = outreach_authorize(
            action=OutreachAction(
                borrower=borrower, channel="call", to=phone.number, at=morning + dt.timedelta(minutes=minute)
            ),
            actor=Actor.of_user(collector),
        )
        assert result.allowed
    by_agency = outreach_authorize(
        action=OutreachAction(
            borrower=borrower, channel="call", to=phone.number, at=morning + dt.timedelta(minutes=10)
        ),
        actor=Actor.of_user(agency_collector),
    )
    assert not by_agency.allowed
    assert "daily_answered_cap" in {r["code"] for r in by_agency.reasons}


def test_agencies_page_places_and_recalls(client, open_case, agency, contract, supervisor):
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:agencies"), {"action": "place", "case": open_case.pk, "agency": agency.pk, "reason": "x"}
    )
    assert response.status_code == 302
    open_case.refresh_from_db()
    assert open_case.agency == agency
    page = client.get(reverse("supervision:agencies"))
    assert page.status_code == 200
    assert f"#{open_case.pk}" in page.content.decode()
    client.post(reverse("supervision:agencies"), {"action": "recall", "case": open_case.pk, "reason": "back"})
    open_case.refresh_from_db()
    assert open_case.agency is None


def test_agencies_page_shows_the_refusal(client, open_case, agency, contract, supervisor):
    contract.evaluation_due_on = TODAY - dt.timedelta(days=3)
    contract.save()
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:agencies"),
        {"action": "place", "case": open_case.pk, "agency": agency.pk, "reason": "x"},
        follow=True,
    )
    assert "evaluation was due" in response.content.decode()
    open_case.refresh_from_db()
    assert open_case.agency is None


def test_contract_terms_are_saved_from_the_page(client, agency, supervisor):
    client.force_login(supervisor)
    client.post(
        reverse("supervision:agencies"),
        {"action": "contract", "agency": agency.pk, "commission_percent": "15", "evaluation_due_on": "2030-01-31"},
    )
    contract = AgencyContract.objects.get(agency=agency)
    assert (contract.commission_percent, contract.evaluation_due_on) == (Decimal("15.00"), dt.date(2030, 1, 31))
    client.post(
        reverse("supervision:agencies"),
        {"action": "contract", "agency": agency.pk, "commission_percent": "9", "evaluation_due_on": "2030-01-31"},
    )
    assert AgencyContract.objects.get(agency=agency).commission_percent == Decimal("9.00")
