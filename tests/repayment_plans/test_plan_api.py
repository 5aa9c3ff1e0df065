"""POST/GET /cases/{id}/plans/, GET /plans/{id}/, approve/reject/cancel: contract, errors, isolation."""

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import CaseEvent, CaseStatus
from repayment_plans.models import Plan, PlanApproval, PlanStatus
from tests.factories import UserFactory
from webhooks.models import WebhookEvent

from .conftest import TODAY, make_case

pytestmark = pytest.mark.django_db
IN_A_WEEK = (TODAY + dt.timedelta(days=7)).isoformat()


def url(case) -> str:
    return f"/api/v1/cases/{case.pk}/plans/"


def test_a_platform_proposes_an_installment_plan_and_reads_it_back(api, case):
    response = api.post(
        url(case),
        {"kind": "installment", "first_due_date": IN_A_WEEK, "installment_count": 3, "frequency": "monthly"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["total_amount"] == "3180.00" and body["currency"] == "CNY"
    assert [i["amount"] for i in body["installments"]] == ["1060.00", "1060.00", "1060.00"]
    assert body["agreement_pdf_url"].endswith(f"/plans/{body['id']}/agreement.pdf")
    assert body["proposed_by"] == "platform"

    listed = api.get(url(case)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    assert api.get(f"/api/v1/plans/{body['id']}/").json()["installments"][2]["seq"] == 3


def test_dry_run_shows_the_schedule_and_writes_nothing(api, case):
    response = api.post(
        url(case),
        {
            "kind": "settlement",
            "settlement_amount": "2544.00",
            "first_due_date": IN_A_WEEK,
            "installment_count": 2,
            "dry_run": True,
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["needs_approval"] is True  # 20% is beyond a platform's default 10%
    assert body["discount_percent"] == "20.00"
    assert [i["amount"] for i in body["installments"]] == ["1272.00", "1272.00"]
    assert Plan.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {
                "kind": "installment",
                "first_due_date": IN_A_WEEK,
                "installment_count": 2,
                "amounts": ["1000.00", "1000.00"],
            },
            "amounts",
        ),
        ({"kind": "installment", "first_due_date": "2020-01-01"}, "first_due_date"),
        ({"kind": "installment", "first_due_date": IN_A_WEEK, "fee_amount": "30.00"}, "fee_amount"),
        ({"kind": "installment", "first_due_date": IN_A_WEEK, "total_amount": "5000.00"}, "total_amount"),
        (
            {"kind": "settlement", "settlement_amount": "500.00", "first_due_date": IN_A_WEEK, "reason": "x"},
            "settlement_amount",
        ),
        ({"kind": "settlement", "settlement_amount": "2544.00", "first_due_date": IN_A_WEEK}, "reason"),
        ({"kind": "installment", "first_due_date": "not-a-date"}, "first_due_date"),
        ({"kind": "barter", "first_due_date": IN_A_WEEK}, "kind"),
        ({"kind": "installment", "first_due_date": IN_A_WEEK, "total_amount": "10.001"}, "total_amount"),
        ({"kind": "installment"}, "first_due_date"),
    ],
    ids=[
        "amounts-do-not-add-up",
        "past-date",
        "fee-added",
        "above-balance",
        "beyond-absolute-discount",
        "beyond-limit-without-reason",
        "malformed-date",
        "unknown-kind",
        "fraction-of-a-cent",
        "missing-date",
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(api, case, payload, field):
    response = api.post(url(case), payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Plan.objects.count() == 0
    assert not CaseEvent.objects.filter(kind__startswith="plan_").exists()


def test_a_closed_case_or_a_second_open_plan_is_a_400(api, platform, case):
    ok = api.post(url(case), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json")
    assert ok.status_code == 201
    second = api.post(url(case), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json")
    assert second.status_code == 400 and "case" in second.json()
    closed = make_case(platform)
    closed.status = CaseStatus.CLOSED
    closed.save()
    response = api.post(url(closed), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json")
    assert response.status_code == 400 and "case" in response.json()
    assert Plan.objects.count() == 1


def test_another_platforms_case_and_plans_are_404(api, other_api, case, anon_api):
    plan_id = api.post(url(case), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json").json()["id"]
    assert (
        other_api.post(url(case), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json").status_code
        == 404
    )
    assert other_api.get(url(case)).status_code == 404
    assert other_api.get(f"/api/v1/plans/{plan_id}/").status_code == 404
    assert other_api.post(f"/api/v1/plans/{plan_id}/cancel/", {}, format="json").status_code == 404
    assert anon_api.get(url(case)).status_code == 401
    assert Plan.objects.get().status == PlanStatus.ACTIVE


def test_a_supervisor_approves_through_the_api_and_a_platform_cannot(api, case, team):
    senior = UserFactory(
        username="senior", role="supervisor", team=team, is_staff=True, max_discount_percent=30, max_plan_months=24
    )
    body = api.post(
        url(case),
        {
            "kind": "settlement",
            "settlement_amount": "2544.00",
            "first_due_date": IN_A_WEEK,
            "reason": "Borrower agreed in the app after losing her job",
        },
        format="json",
    ).json()
    assert body["status"] == "pending_approval"
    assert body["agreement_pdf_url"] is None
    assert api.post(f"/api/v1/plans/{body['id']}/approve/", {}, format="json").status_code == 403

    from rest_framework.test import APIClient

    staff = APIClient()
    staff.force_login(senior)
    response = staff.post(f"/api/v1/plans/{body['id']}/approve/", {"reason": "Hardship documented"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "active"
    assert response.json()["approvals"][0]["user"] == "senior"
    assert PlanApproval.objects.get().reason == "Hardship documented"


def test_a_refusal_through_the_api_needs_a_reason(api, case, supervisor):
    plan_id = api.post(
        url(case),
        {"kind": "installment", "first_due_date": IN_A_WEEK, "installment_count": 12, "reason": "small income"},
        format="json",
    ).json()["id"]
    from rest_framework.test import APIClient

    staff = APIClient()
    staff.force_login(supervisor)
    assert staff.post(f"/api/v1/plans/{plan_id}/reject/", {}, format="json").status_code == 400
    response = staff.post(f"/api/v1/plans/{plan_id}/reject/", {"reason": "Term too long"}, format="json")
    assert response.json()["status"] == "rejected"


def test_activation_is_announced_by_webhook(api, platform, case):
    platform.webhook_url = "https://platform.example/hooks"
    platform.save()
    body = api.post(url(case), {"kind": "installment", "first_due_date": IN_A_WEEK}, format="json").json()
    event = WebhookEvent.objects.get(type="plan.activated")
    assert event.platform == platform
    assert event.payload["plan"] == body["id"]
    assert event.payload["schedule"][0]["amount"] == "3180.00"
    assert Decimal(event.payload["total_amount"]) == Decimal("3180.00")
