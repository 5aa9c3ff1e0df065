"""Write-off (charge-off) with recoveries after it, and the legal path (lawyer letter → mediation →
litigation): each transition, its case event and its webhook (issue 18 item 7)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.legal import legal_outcome_record, legal_step_open, loan_write_off
from cases.models import Case, CaseEvent, CaseStatus, LegalProceeding, LegalStage
from cases.services import payment_record, payments_bulk_record
from supervision import selectors as kpis
from tests.factories import BorrowerFactory, InstallmentFactory, LoanFactory
from webhooks.models import EventType, WebhookEvent

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def hooked(platform):
    platform.webhook_url = "https://hooks.example.com/collections"
    platform.save()
    return platform


def _case(platform, *, currency: str = "CNY", days: int = 120) -> Case:
    loan = LoanFactory(platform=platform, borrower=BorrowerFactory(platform=platform), currency=currency)
    for seq, amount in ((1, "600.00"), (2, "400.00")):
        InstallmentFactory(
            loan=loan,
            seq=seq,
            due_date=DAY - dt.timedelta(days=days - 30 * (seq - 1)),
            principal_due=Decimal(amount),
            interest_due=Decimal("0"),
            fee_due=Decimal("0"),
        )
    refresh_delinquency(loan_ids=[loan.pk], today=DAY)
    return Case.objects.select_related("loan", "borrower", "platform").get(loan=loan, status=CaseStatus.OPEN)


def _events(platform, type: str) -> list[dict]:
    return [e.payload for e in WebhookEvent.objects.filter(platform=platform, type=type).order_by("id")]


# --- write-off ----------------------------------------------------------------------------------------------


def test_write_off_then_a_recovery(hooked, supervisor, admin_user):
    case = _case(hooked)
    loan = loan_write_off(case=case, user=supervisor, reason="uncollectable after 120 days")
    assert loan.written_off_on == DAY and loan.written_off_amount == Decimal("1000.00")
    event = case.events.get(kind=CaseEvent.Kind.WRITTEN_OFF)
    assert event.actor == supervisor and event.new_value == "1000.00 CNY"
    [written_off] = _events(hooked, EventType.CASE_WRITTEN_OFF)
    assert written_off["written_off_amount"] == "1000.00" and written_off["loan"] == loan.external_id
    # The case stays open: the debt is still owed and may still be paid.
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN

    # A later payment is allocated as any other (the oldest installment first), and is a recovery.
    payment = payment_record(
        platform=hooked, loan=loan, external_id="R-1", amount=Decimal("250.00"), paid_at=timezone.now()
    )
    assert payment.recovery is True
    assert sum(a.total for a in payment.allocations.all()) == Decimal("250.00")
    loan.refresh_from_db()
    assert loan.outstanding == Decimal("750.00")
    [recovered] = _events(hooked, EventType.PAYMENT_RECOVERED)
    assert recovered["payment"] == "R-1" and recovered["amount"] == "250.00" and recovered["currency"] == "CNY"
    assert recovered["recovered_total"] == "250.00" and recovered["written_off_on"] == "2026-06-15"
    assert case.events.get(kind=CaseEvent.Kind.PAYMENT).data["recovery"] is True

    # A second recovery, in bulk: the running total grows.
    payments_bulk_record(
        platform=hooked,
        payments=[
            {"external_id": "R-2", "loan": loan.external_id, "amount": Decimal("50.00"), "paid_at": timezone.now()}
        ],
    )
    assert _events(hooked, EventType.PAYMENT_RECOVERED)[-1]["recovered_total"] == "300.00"

    # The dashboard reports recoveries after charge-off per currency, inside the period's total.
    figures = kpis.dashboard(user=admin_user, months=1, today=DAY)
    assert figures["recovered"]["after_charge_off"] == [{"currency": "CNY", "amount": Decimal("300.00")}]


def test_recoveries_are_never_added_across_currencies(hooked, supervisor, admin_user):
    cny, usd = _case(hooked, currency="CNY"), _case(hooked, currency="USD")
    for case in (cny, usd):
        loan_write_off(case=case, user=supervisor, reason="charge-off")
    payment_record(platform=hooked, loan=cny.loan, external_id="C", amount=Decimal("10.00"), paid_at=timezone.now())
    payment_record(platform=hooked, loan=usd.loan, external_id="U", amount=Decimal("20.00"), paid_at=timezone.now())
    # A payment before any charge-off is not a recovery.
    other = _case(hooked)
    assert not payment_record(
        platform=hooked, loan=other.loan, external_id="N", amount=Decimal("5.00"), paid_at=timezone.now()
    ).recovery
    figures = kpis.dashboard(user=admin_user, months=1, today=DAY)
    assert figures["recovered"]["after_charge_off"] == [
        {"currency": "CNY", "amount": Decimal("10.00")},
        {"currency": "USD", "amount": Decimal("20.00")},
    ]


def test_a_loan_is_written_off_once_and_with_a_reason(platform, supervisor):
    case = _case(platform)
    with pytest.raises(ValidationError) as exc:
        loan_write_off(case=case, user=supervisor, reason=" ")
    assert "reason" in exc.value.message_dict
    loan_write_off(case=case, user=supervisor, reason="x")
    with pytest.raises(ValidationError):
        loan_write_off(case=case, user=supervisor, reason="again")


# --- the legal path -----------------------------------------------------------------------------------------


def test_the_legal_path_moves_forward_with_events_and_webhooks(hooked, supervisor):
    case = _case(hooked)
    referral = legal_step_open(
        case=case, kind="referred", forum="King & Wood LLP", started_on=DAY, user=supervisor, notes="M3+"
    )
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.REFERRED
    mediation = legal_step_open(
        case=case,
        kind="mediation",
        forum="Pudong People's Mediation Committee",
        reference="(2026)沪0115民诉前调12345号",
        started_on=DAY,
        next_date=DAY + dt.timedelta(days=20),
        user=supervisor,
    )
    referral.refresh_from_db()
    assert referral.ended_on == DAY  # opening a step ends the one before
    # Mediation fails: the case stays at mediation until a lawsuit is filed.
    legal_outcome_record(proceeding=mediation, outcome="mediation_failed", ended_on=DAY, user=supervisor)
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.MEDIATION
    lawsuit = legal_step_open(
        case=case,
        kind="litigation",
        forum="Shanghai Pudong New Area People's Court",
        reference="(2026)沪0115民初6789号",
        started_on=DAY,
        user=supervisor,
    )
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.LITIGATION
    # Settled in court: the legal path ends and the case returns to ordinary collection.
    legal_outcome_record(
        proceeding=lawsuit, outcome="settled", ended_on=DAY, amount_awarded=Decimal("900.00"), user=supervisor
    )
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.NONE
    lawsuit.refresh_from_db()
    assert lawsuit.outcome == "settled" and lawsuit.amount_awarded == Decimal("900.00")

    changes = case.events.filter(kind=CaseEvent.Kind.LEGAL_STAGE_CHANGED).order_by("id")
    assert [(e.old_value, e.new_value) for e in changes] == [
        ("", "referred"),
        ("referred", "mediation"),
        ("mediation", "litigation"),
    ]
    assert case.events.filter(kind=CaseEvent.Kind.LEGAL_OUTCOME).count() == 2
    hooks = _events(hooked, EventType.CASE_LEGAL_STAGE_CHANGED)
    assert [(h["previous_legal_stage"], h["legal_stage"]) for h in hooks] == [
        ("", "referred"),
        ("referred", "mediation"),
        ("mediation", "mediation"),
        ("mediation", "litigation"),
        ("litigation", ""),
    ]
    assert hooks[3]["proceeding"]["reference"] == "(2026)沪0115民初6789号"
    assert hooks[4]["proceeding"]["outcome"] == "settled"


def test_the_legal_path_never_moves_back_and_checks_its_input(platform, supervisor):
    case = _case(platform)
    legal_step_open(case=case, kind="mediation", forum="Committee", started_on=DAY, user=supervisor)
    with pytest.raises(ValidationError) as exc:
        legal_step_open(case=case, kind="referred", forum="Firm", started_on=DAY, user=supervisor)
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        legal_step_open(case=case, kind="litigation", forum=" ", started_on=DAY, user=supervisor)
    assert "forum" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        legal_step_open(
            case=case, kind="litigation", forum="Court", started_on=DAY + dt.timedelta(days=1), user=supervisor
        )
    assert "started_on" in exc.value.message_dict
    lawsuit = legal_step_open(case=case, kind="litigation", forum="Court", started_on=DAY, user=supervisor)
    with pytest.raises(ValidationError) as exc:
        legal_outcome_record(proceeding=lawsuit, outcome="mediation_failed", user=supervisor)
    assert "outcome" in exc.value.message_dict
    legal_outcome_record(proceeding=lawsuit, outcome="judgment_for_lender", user=supervisor)
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.LITIGATION  # enforcement follows a judgment for the lender
    with pytest.raises(ValidationError):
        legal_outcome_record(proceeding=lawsuit, outcome="settled", user=supervisor)
    assert LegalProceeding.objects.filter(case=case).count() == 2
