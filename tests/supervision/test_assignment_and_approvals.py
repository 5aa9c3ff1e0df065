"""Assignment tools and the approvals queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent
from repayment_plans.models import Plan, PlanStatus
from supervision import services
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory, UserFactory

pytestmark = pytest.mark.django_db


def _case(platform, assignee, priority: int = 0, **kwargs) -> Case:
    return CaseFactory(
        loan=LoanFactory(borrower=BorrowerFactory(platform=platform)), assigned_to=assignee, priority=priority, **kwargs
    )


def test_reassign_one_case(platform, collector, other_collector, supervisor):
    case = _case(platform, collector)
    services.case_reassign(case=case, to_user=other_collector, user=supervisor, reason="Language")
    case.refresh_from_db()
    assert case.assigned_to == other_collector
    event = case.events.get(kind=CaseEvent.Kind.ASSIGNED)
    assert (event.old_value, event.new_value, event.actor) == ("collector", "collector2", supervisor)


def test_reassign_refuses_a_collector_of_another_team(platform, collector, supervisor):
    from tests.factories import TeamFactory

    outsider = UserFactory(role="collector", team=TeamFactory(name="West"))
    with pytest.raises(ValidationError):
        services.case_reassign(case=_case(platform, collector), to_user=outsider, user=supervisor)


def test_rebalance_spreads_cases_to_the_least_loaded(platform, team, collector, other_collector, supervisor):
    UserFactory(username="collector3", role="collector", team=team)
    _case(platform, other_collector)
    _case(platform, other_collector)  # collector2 already has 2 open cases, collector3 none
    leaving = [_case(platform, collector, priority=p) for p in (50, 40, 30, 20, 10)]

    moved = services.collector_rebalance(collector=collector, user=supervisor)

    # 50, 40 → collector3 (0, then 1 < 2); 30 → collector2 (tie 2-2 broken by name); 20 → collector3; 10 → collector2.
    assert moved == {"collector2": 2, "collector3": 3}
    owners = {c.pk: Case.objects.get(pk=c.pk).assigned_to.username for c in leaving}
    assert [owners[c.pk] for c in leaving] == ["collector3", "collector3", "collector2", "collector3", "collector2"]
    assert Case.objects.filter(assigned_to=collector, status="open").count() == 0
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED).count() == 5


def test_assignment_page(client, platform, collector, other_collector, supervisor):
    case = _case(platform, collector)
    client.force_login(supervisor)
    assert client.get(reverse("supervision:assignment")).status_code == 200
    client.post(
        reverse("supervision:assignment"), {"action": "reassign", "case": case.pk, "to_user": other_collector.pk}
    )
    case.refresh_from_db()
    assert case.assigned_to == other_collector
    client.post(reverse("supervision:assignment"), {"action": "rebalance", "collector": other_collector.pk})
    case.refresh_from_db()
    assert case.assigned_to == collector


@pytest.fixture
def pending_plan(platform, collector):
    case = _case(platform, collector)
    return Plan.objects.create(
        case=case,
        kind="settlement",
        status=PlanStatus.PENDING_APPROVAL,
        currency="CNY",
        balance=Decimal("3000.00"),
        total_amount=Decimal("2000.00"),
        discount_amount=Decimal("1000.00"),
        discount_percent=Decimal("33.33"),
        first_due_date=timezone.localdate() + dt.timedelta(days=5),
        approvals_required=1,
        proposed_by=collector,
    )


def test_the_queue_lists_pending_plans_and_refuses_with_a_reason(client, pending_plan, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("supervision:approvals"))
    assert page.status_code == 200
    assert [item.plan for item in page.context["items"]] == [pending_plan]

    client.post(reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "reject", "reason": ""})
    pending_plan.refresh_from_db()
    assert pending_plan.status == PlanStatus.PENDING_APPROVAL  # a refusal needs a reason

    client.post(
        reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "reject", "reason": "Too deep"}
    )
    pending_plan.refresh_from_db()
    assert (pending_plan.status, pending_plan.end_reason) == (PlanStatus.REJECTED, "Too deep")


def test_an_approval_is_recorded_through_the_plan_service(client, pending_plan, supervisor):
    client.force_login(supervisor)
    client.post(reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "approve"})
    approval = pending_plan.approvals.get()
    assert (approval.user, approval.decision) == (supervisor, "approved")


def test_collectors_cannot_open_the_queue(client, collector):
    client.force_login(collector)
    assert client.get(reverse("supervision:approvals")).status_code == 403


def test_a_first_approval_says_it_waits_for_a_second_approver_and_leaves_no_live_button(
    client, pending_plan, supervisor, admin_user
):
    """33.33% is beyond a supervisor's 30%: their approval is level 1 of 2; an administrator's activates."""
    client.force_login(supervisor)
    page = client.get(reverse("supervision:approvals")).content.decode()
    assert "Waiting for a first approval." in page
    assert "Approve (a second approver is still needed)" in page
    assert "Your limits: a discount up to 30% and a term up to 24 months." in page

    response = client.post(
        reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "approve"}, follow=True
    )

    text = response.content.decode()
    assert (
        f"Plan #{pending_plan.pk}: first approval recorded, waiting for a second approver whose limits cover it."
        in text
    )
    assert "approved: Pending approval" not in text
    pending_plan.refresh_from_db()
    assert pending_plan.status == PlanStatus.PENDING_APPROVAL
    row = text[text.index(f'data-plan="{pending_plan.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Approved at level 1; waiting for a further approver whose limits cover it." in row
    assert "Level 1: approved by supervisor" in row
    assert "You approved this plan: another approver must decide." in row
    assert 'value="approve"' not in row

    client.force_login(admin_user)
    row = client.get(reverse("supervision:approvals")).content.decode()
    assert "Approve and activate" in row


def test_an_approval_within_the_approvers_limits_says_the_plan_is_active(client, pending_plan, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "approve"}, follow=True
    )
    pending_plan.refresh_from_db()
    assert pending_plan.status != PlanStatus.PENDING_APPROVAL
    assert f"Plan #{pending_plan.pk} approved: it is now {pending_plan.get_status_display().lower()}." in (
        response.content.decode()
    )


def test_the_proposer_sees_why_they_may_not_decide(client, pending_plan, collector):
    pending_plan.proposed_by = None
    pending_plan.save(update_fields=["proposed_by"])
    supervisor_proposer = pending_plan.case.assigned_to
    supervisor_proposer.role = "supervisor"
    supervisor_proposer.save(update_fields=["role"])
    pending_plan.proposed_by = supervisor_proposer
    pending_plan.save(update_fields=["proposed_by"])
    client.force_login(supervisor_proposer)
    page = client.get(reverse("supervision:approvals")).content.decode()
    assert "You proposed this plan: someone else approves it." in page
    assert 'value="approve"' not in page


def test_the_approval_flow_speaks_chinese(client, pending_plan, supervisor):
    supervisor.language = "zh-hans"
    supervisor.save(update_fields=["language"])
    client.force_login(supervisor)
    assert "审批权限" in client.get(reverse("supervision:approvals")).content.decode()

    response = client.post(
        reverse("supervision:approvals-decide", args=[pending_plan.pk]), {"decision": "approve"}, follow=True
    )

    text = response.content.decode()
    assert f"方案 #{pending_plan.pk}：第一级审批已记录，等待权限足以覆盖该方案的第二位审批人。" in text
    assert "您已审批该方案，须由另一位审批人决定。" in text


def test_the_old_plan_approvals_address_leads_to_the_one_approvals_page(client, pending_plan, supervisor, collector):
    """/plans/approvals/ was a second, list-only page: it now sends to the one page that shows each plan's
    state, approvers, who must still approve and the limits that apply."""
    client.force_login(supervisor)
    response = client.get(reverse("plan-approvals"))
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:approvals")
    page = client.get(reverse("plan-approvals"), follow=True).content.decode()
    assert f'data-plan="{pending_plan.pk}"' in page
    assert "Waiting for a first approval." in page
    assert "Still to approve: a supervisor whose limits cover" in page
    assert 'id="approval-limits"' in page
    client.force_login(collector)
    assert client.get(reverse("plan-approvals")).status_code == 403
