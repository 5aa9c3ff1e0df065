"""Plan pages: visibility, the decision buttons, the form's errors; and the reminder selector."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from repayment_plans.models import Plan, PlanStatus
from repayment_plans.selectors import plan_installments_due_between
from repayment_plans.services import plan_propose

from .conftest import TODAY

pytestmark = pytest.mark.django_db
IN_A_WEEK = TODAY + dt.timedelta(days=7)


def _pending(case, collector) -> Plan:
    return plan_propose(
        case=case,
        kind="installment",
        user=collector,
        first_due_date=IN_A_WEEK,
        installment_count=12,
        reason="Long term needed",
    )


def test_the_supervisor_sees_approve_and_refuse_the_proposer_does_not(client, case, collector, supervisor):
    case.assigned_to = collector
    case.save()
    plan = _pending(case, collector)
    client.force_login(supervisor)
    page = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert reverse("plan-approve", args=[plan.pk]) in page and reverse("plan-reject", args=[plan.pk]) in page
    client.force_login(collector)
    page = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert reverse("plan-approve", args=[plan.pk]) not in page
    # A collector posting an approval anyway is refused and nothing changes.
    assert client.post(reverse("plan-approve", args=[plan.pk])).status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL


def test_pages_of_a_case_the_user_cannot_see_are_404(client, case, collector, other_collector):
    case.assigned_to = collector
    case.save()
    plan = _pending(case, collector)
    client.force_login(other_collector)
    assert client.get(reverse("plan-detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("plan-new", args=[case.pk])).status_code == 404
    assert client.post(reverse("plan-cancel", args=[plan.pk]), {"reason": "x"}).status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL


def test_the_form_shows_the_rule_that_was_broken(client, case, collector):
    case.assigned_to = collector
    case.save()
    client.force_login(collector)
    response = client.post(
        reverse("plan-new", args=[case.pk]),
        {
            "kind": "installment",
            "first_due_date": IN_A_WEEK.isoformat(),
            "installment_count": "2",
            "frequency": "monthly",
            "amounts": "100.00, 200.00",
            "action": "propose",
        },
    )
    assert response.status_code == 200
    assert "add up to 300.00, not to the plan total 3180.00" in response.content.decode()
    assert Plan.objects.count() == 0


def test_reminders_follow_the_active_plans_unpaid_dates(case, collector):
    plan = plan_propose(case=case, kind="installment", user=collector, first_due_date=IN_A_WEEK, installment_count=3)
    due = list(plan_installments_due_between(TODAY, IN_A_WEEK + dt.timedelta(days=40)))
    assert [(i.case_id, i.seq, i.amount) for i in due] == [
        (case.pk, 1, Decimal("1060.00")),
        (case.pk, 2, Decimal("1060.00")),
    ]
    plan.status = PlanStatus.CANCELLED
    plan.save()
    assert not plan_installments_due_between(TODAY, IN_A_WEEK + dt.timedelta(days=40)).exists()
