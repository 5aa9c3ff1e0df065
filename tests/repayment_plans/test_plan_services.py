"""Plan kinds, the rules every plan respects, and approval limits (through the services)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import CaseEvent, CaseStatus, Installment
from repayment_plans.models import ApprovalDecision, Plan, PlanStatus
from repayment_plans.selectors import needs_plan_offer_before_escalation, plan_reminder
from repayment_plans.services import loan_balance, plan_approve, plan_cancel, plan_propose, plan_reject
from tests.factories import UserFactory

from .conftest import BALANCE, TODAY, make_case

pytestmark = pytest.mark.django_db
D = Decimal
IN_A_WEEK = TODAY + dt.timedelta(days=7)


@pytest.fixture
def senior(team):
    """A supervisor whose own limits cover up to 30% and 24 months."""
    return UserFactory(
        username="senior", role="supervisor", team=team, is_staff=True, max_discount_percent=30, max_plan_months=24
    )


def test_an_installment_plan_within_the_collectors_limits_is_active_at_once(case, collector):
    plan = plan_propose(
        case=case,
        kind="installment",
        user=collector,
        first_due_date=IN_A_WEEK,
        installment_count=3,
        frequency="monthly",
    )
    assert plan.status == PlanStatus.ACTIVE
    amounts = [i.amount for i in plan.installments.order_by("seq")]
    assert amounts == [D("1060.00"), D("1060.00"), D("1060.00")]
    assert sum(amounts) == plan.total_amount == plan.balance == BALANCE
    assert plan.discount_amount == 0
    assert plan.agreement_pdf.name.endswith("-zh-hans.pdf")
    assert list(
        CaseEvent.objects.filter(case=case, kind__startswith="plan_").order_by("id").values_list("kind", flat=True)
    ) == ["plan_proposed", "plan_activated"]
    # Reminders now follow the plan: the case's next action is the plan's first date.
    case.refresh_from_db()
    assert case.next_action_at.date() == IN_A_WEEK
    assert plan_reminder(case, TODAY).due_date == IN_A_WEEK


def test_an_awkward_total_is_split_to_the_cent(case, collector):
    plan = plan_propose(
        case=case,
        kind="installment",
        user=collector,
        total_amount=D("1000.00"),
        first_due_date=IN_A_WEEK,
        installment_count=3,
        frequency="weekly",
    )
    assert [i.amount for i in plan.installments.order_by("seq")] == [D("333.33"), D("333.33"), D("333.34")]
    assert [i.due_date for i in plan.installments.order_by("seq")] == [
        IN_A_WEEK,
        IN_A_WEEK + dt.timedelta(days=7),
        IN_A_WEEK + dt.timedelta(days=14),
    ]


def test_a_deferral_keeps_the_amounts_and_moves_the_dates(case, collector):
    new_first = TODAY + dt.timedelta(days=30)
    plan = plan_propose(case=case, kind="deferral", user=collector, first_due_date=new_first)
    lines = list(plan.installments.order_by("seq").values_list("due_date", "amount"))
    # The loan's dates were -40, -10 and +20 days: the first moves to +30, the others keep their spacing.
    assert lines == [
        (new_first, D("1060.00")),
        (new_first + dt.timedelta(days=30), D("1060.00")),
        (new_first + dt.timedelta(days=60), D("1060.00")),
    ]
    assert plan.status == PlanStatus.ACTIVE
    assert plan.term_months == 3  # pushed by 70 days


def test_a_settlement_records_the_discount_but_forgives_nothing_before_it_is_paid(case, collector):
    plan = plan_propose(
        case=case, kind="settlement", user=collector, settlement_amount=D("2900.00"), first_due_date=IN_A_WEEK
    )
    assert plan.status == PlanStatus.ACTIVE
    assert (plan.discount_amount, plan.discount_percent) == (D("280.00"), D("8.81"))
    assert plan.installments.get().amount == D("2900.00")
    assert loan_balance(case.loan_id) == BALANCE


def test_an_interest_and_fee_waiver_is_written_to_the_ledger_at_activation(case, collector):
    collector.max_discount_percent = 15
    collector.save()
    plan = plan_propose(
        case=case,
        kind="waiver",
        user=collector,
        waive_interest=True,
        waive_fees=True,
        first_due_date=IN_A_WEEK,
        installment_count=2,
    )
    assert plan.status == PlanStatus.ACTIVE
    assert plan.discount_amount == D("180.00")  # 3 x (50 interest + 10 fee)
    assert plan.total_amount == D("3000.00")
    assert sorted(Installment.objects.filter(loan=case.loan).values_list("waived", flat=True)) == [D("60.00")] * 3
    assert loan_balance(case.loan_id) == D("3000.00")
    assert plan.waived_applied == D("180.00")


def test_beyond_the_collectors_limit_the_plan_waits_for_a_supervisor_who_approves_it(case, collector, supervisor):
    plan = plan_propose(
        case=case,
        kind="settlement",
        user=collector,
        settlement_amount=D("2544.00"),  # 20% off: beyond the collector's 10%
        first_due_date=IN_A_WEEK,
        installment_count=2,
        reason="Lost her job in March; can pay 2 x 1272.",
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert not plan.agreement_pdf
    # A supervisor with the default personal limits still approves up to the supervisor level (30%).
    plan = plan_approve(plan=plan, user=supervisor, reason="Documented hardship.")
    assert plan.status == PlanStatus.ACTIVE
    assert plan.agreement_pdf
    approval = plan.approvals.get()
    assert (approval.level, approval.decision, approval.user, approval.discount_percent) == (
        1,
        ApprovalDecision.APPROVED,
        supervisor,
        D("20.00"),
    )


def test_a_supervisor_beyond_their_own_limit_sends_the_plan_to_a_second_level(case, collector, supervisor, admin_user):
    plan = plan_propose(
        case=case,
        kind="settlement",
        user=collector,
        settlement_amount=D("1908.00"),  # 40% off: beyond the supervisor level of 30% as well
        first_due_date=IN_A_WEEK,
        reason="Terminal illness in the family.",
    )
    plan = plan_approve(plan=plan, user=supervisor)
    assert plan.status == PlanStatus.PENDING_APPROVAL
    assert plan.approvals_required == 2
    with pytest.raises(ValidationError):
        plan_approve(plan=plan, user=supervisor)  # the same person cannot be the second level
    plan = plan_approve(plan=plan, user=admin_user)
    assert plan.status == PlanStatus.ACTIVE
    assert list(plan.approvals.values_list("level", "user__username")) == [(1, "supervisor"), (2, "admin")]


def test_a_refusal_is_recorded_with_its_reason_and_the_case_returns_to_collection(case, collector, senior):
    plan = plan_propose(
        case=case,
        kind="installment",
        user=collector,
        first_due_date=IN_A_WEEK,
        installment_count=12,  # a year: beyond the collector's 6 months
        reason="Small salary.",
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL
    with pytest.raises(ValidationError) as exc:
        plan_reject(plan=plan, user=senior, reason=" ")
    assert "reason" in exc.value.message_dict
    plan = plan_reject(plan=plan, user=senior, reason="Income documents missing.")
    assert plan.status == PlanStatus.REJECTED
    refusal = plan.approvals.get()
    assert (refusal.decision, refusal.reason) == (ApprovalDecision.REJECTED, "Income documents missing.")
    assert CaseEvent.objects.filter(case=case, kind="plan_rejected", reason="Income documents missing.").exists()
    case.refresh_from_db()
    assert case.next_action_at is not None


def test_collectors_do_not_approve_and_nobody_approves_their_own_plan(case, collector, senior):
    plan = plan_propose(
        case=case, kind="installment", user=senior, first_due_date=IN_A_WEEK, installment_count=30, reason="x"
    )
    assert plan.status == PlanStatus.PENDING_APPROVAL  # 30 months: beyond even the senior's 24
    with pytest.raises(PermissionDenied):
        plan_approve(plan=plan, user=collector)
    with pytest.raises(PermissionDenied):
        plan_approve(plan=plan, user=senior)
    assert plan.approvals.count() == 0


def test_a_plan_beyond_the_collectors_limit_needs_a_reason(case, collector):
    with pytest.raises(ValidationError) as exc:
        plan_propose(
            case=case, kind="settlement", user=collector, settlement_amount=D("2544.00"), first_due_date=IN_A_WEEK
        )
    assert "reason" in exc.value.message_dict
    assert Plan.objects.count() == 0


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"kind": "settlement", "settlement_amount": D("1000.00"), "first_due_date": IN_A_WEEK}, "settlement_amount"),
        ({"kind": "installment", "installment_count": 40, "first_due_date": IN_A_WEEK}, "installment_count"),
        ({"kind": "installment", "first_due_date": TODAY - dt.timedelta(days=1)}, "first_due_date"),
        ({"kind": "installment", "first_due_date": IN_A_WEEK, "fee_amount": D("25.00")}, "fee_amount"),
        ({"kind": "installment", "first_due_date": IN_A_WEEK, "total_amount": D("3180.01")}, "total_amount"),
        ({"kind": "settlement", "settlement_amount": D("3200.00"), "first_due_date": IN_A_WEEK}, "settlement_amount"),
        (
            {
                "kind": "installment",
                "first_due_date": IN_A_WEEK,
                "installment_count": 2,
                "amounts": [D("1000.00"), D("2000.00")],
            },
            "amounts",
        ),
        ({"kind": "deferral", "first_due_date": IN_A_WEEK, "amounts": [D("3180.00")]}, "amounts"),
        ({"kind": "waiver", "first_due_date": IN_A_WEEK}, "waive_interest"),
    ],
    ids=[
        "beyond-absolute-discount",
        "beyond-absolute-term",
        "past-date",
        "fee-added",
        "above-balance",
        "settlement-above-balance",
        "amounts-do-not-add-up",
        "deferral-changes-amounts",
        "waiver-of-nothing",
    ],
)
def test_bad_terms_are_refused_with_the_field_and_nothing_written(case, admin_user, terms, field):
    with pytest.raises(ValidationError) as exc:
        plan_propose(case=case, user=admin_user, reason="trying", **terms)
    assert field in exc.value.message_dict
    assert Plan.objects.count() == 0
    assert not CaseEvent.objects.filter(kind__startswith="plan_").exists()


def test_no_plan_on_a_closed_case(case, collector):
    case.status = CaseStatus.CLOSED
    case.save()
    with pytest.raises(ValidationError) as exc:
        plan_propose(case=case, kind="installment", user=collector, first_due_date=IN_A_WEEK)
    assert "case" in exc.value.message_dict
    assert Plan.objects.count() == 0


def test_one_open_plan_per_case_and_a_cancelled_one_makes_room(case, collector):
    first = plan_propose(case=case, kind="installment", user=collector, first_due_date=IN_A_WEEK)
    with pytest.raises(ValidationError) as exc:
        plan_propose(case=case, kind="installment", user=collector, first_due_date=IN_A_WEEK)
    assert "case" in exc.value.message_dict
    assert Plan.objects.count() == 1
    plan_cancel(plan=first, user=collector, reason="Borrower changed their mind")
    second = plan_propose(case=case, kind="installment", user=collector, first_due_date=IN_A_WEEK)
    assert second.status == PlanStatus.ACTIVE


def test_a_platform_gets_the_default_limits(case, platform):
    within = plan_propose(
        case=case, kind="installment", platform=platform, first_due_date=IN_A_WEEK, installment_count=6
    )
    assert within.status == PlanStatus.ACTIVE
    plan_cancel(plan=within, platform=platform)
    beyond = plan_propose(
        case=case,
        kind="settlement",
        platform=platform,
        settlement_amount=D("2544.00"),
        first_due_date=IN_A_WEEK,
        reason="Agreed in the app",
    )
    assert beyond.status == PlanStatus.PENDING_APPROVAL


def test_vulnerable_borrowers_are_offered_a_plan_before_escalation(platform, collector):
    vulnerable = make_case(platform, vulnerabilities=["unemployed"])
    elderly = make_case(platform, date_of_birth=TODAY.replace(year=TODAY.year - 70))
    ordinary = make_case(platform)
    assert needs_plan_offer_before_escalation(vulnerable)
    assert needs_plan_offer_before_escalation(elderly)
    assert not needs_plan_offer_before_escalation(ordinary)
    plan = plan_propose(case=vulnerable, kind="installment", user=collector, first_due_date=IN_A_WEEK)
    plan_cancel(plan=plan, user=collector, reason="refused by the borrower")
    # The offer was made; what became of it does not matter to the escalation rule.
    assert not needs_plan_offer_before_escalation(vulnerable)
