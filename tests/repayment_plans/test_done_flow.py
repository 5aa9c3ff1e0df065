"""The issue's "done when", end to end: a collector offers a plan beyond their limit, a supervisor
approves it, the agreement PDF is produced, payments through the API keep it on track, a missed
payment breaks it; promises are kept and broken by the same feed. CI runs it on PostgreSQL too."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from borrowers.zones import borrower_today
from cases.models import Payment
from repayment_plans.models import Plan, PlanPayment, PlanStatus, Promise, PromiseStatus
from repayment_plans.services import plan_propose
from repayment_plans.tracking import on_payment_recorded, promises_and_plans_check
from webhooks.models import WebhookEvent

from .conftest import TODAY, make_case

D = Decimal


def _pay_through_api(api, case, key: str, amount: str) -> Payment:
    body = {"external_id": key, "loan": case.loan.external_id, "amount": amount, "paid_at": timezone.now().isoformat()}
    response = api.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get(external_id=key)
    # payment_record will call this itself once wired; calling it here as well must change nothing.
    on_payment_recorded(payment)
    return payment


@pytest.mark.django_db
def test_beyond_limit_approved_agreement_paid_on_track_then_broken(client, api, platform, collector, supervisor):
    """With the demo's limits: collector and supervisor both keep the default 10% / 6 months."""
    platform.webhook_url = "https://platform.example/hooks"
    platform.save()
    case = make_case(platform)
    case.assigned_to = collector
    case.save()
    first_due = TODAY + dt.timedelta(days=3)

    # The collector shows the schedule, then proposes 3 x 900.00 on 3180.00 (15% off: beyond their 10%).
    client.force_login(collector)
    form = {
        "kind": "settlement",
        "first_due_date": first_due.isoformat(),
        "installment_count": "3",
        "frequency": "monthly",
        "settlement_amount": "2700.00",
        "reason": "Unemployed since May; family support for three payments.",
    }
    preview = client.post(reverse("plan-new", args=[case.pk]), {**form, "action": "preview"})
    assert preview.status_code == 200 and "900.00" in preview.content.decode()
    assert Plan.objects.count() == 0
    response = client.post(reverse("plan-new", args=[case.pk]), {**form, "action": "propose"})
    plan = Plan.objects.get()
    assert response.status_code == 302 and plan.status == PlanStatus.PENDING_APPROVAL

    # The supervisor finds it in the queue and approves it; the plan is active with its agreement PDF.
    client.force_login(supervisor)
    assert f'data-plan="{plan.pk}"' in client.get(reverse("plan-approvals"), follow=True).content.decode()
    client.post(reverse("plan-approve", args=[plan.pk]), {"reason": "Hardship confirmed"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    pdf = client.get(reverse("plan-agreement-pdf", args=[plan.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert WebhookEvent.objects.filter(type="plan.activated", payload__plan=plan.pk).count() == 1

    # The first installment is paid through the API; the same request replayed counts once.
    payment = _pay_through_api(api, case, "pay-1", "900.00")
    replay = api.post(
        "/api/v1/payments/",
        {
            "external_id": "pay-1",
            "loan": case.loan.external_id,
            "amount": "900.00",
            "paid_at": payment.paid_at.isoformat(),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="pay-1",
    )
    assert replay.status_code == 201 and Payment.objects.count() == 1
    on_payment_recorded(payment)
    assert sum(PlanPayment.objects.filter(installment__plan=plan).values_list("amount", flat=True)) == D("900.00")

    # Past the first date and its grace: on track.
    promises_and_plans_check(first_due + dt.timedelta(days=10))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE

    # The second installment (a month later) is never paid: broken once its grace has run out.
    second_due = plan.installments.get(seq=2).due_date
    promises_and_plans_check(second_due + dt.timedelta(days=plan.grace_days))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    promises_and_plans_check(second_due + dt.timedelta(days=plan.grace_days + 1))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    broken = WebhookEvent.objects.get(type="plan.broken")
    assert broken.payload["missed_installment"]["seq"] == 2
    # Nothing was forgiven: a broken settlement leaves the full balance owed.
    assert plan.waived_applied == D("0.00")


@pytest.mark.django_db
def test_promises_through_the_api_are_kept_and_broken_by_payments(api, platform):
    platform.webhook_url = "https://platform.example/hooks"
    platform.save()
    case = make_case(platform)
    # Promise dates are the borrower's days (Shanghai here), which may be a day ahead of the server's.
    today = borrower_today(case.borrower, timezone.now())
    kept_id = api.post(
        f"/api/v1/cases/{case.pk}/promises/", {"amount": "500.00", "due_date": today.isoformat()}, format="json"
    ).json()["id"]
    _pay_through_api(api, case, "p-1", "500.00")
    assert Promise.objects.get(pk=kept_id).status == PromiseStatus.KEPT

    broken_id = api.post(
        f"/api/v1/cases/{case.pk}/promises/",
        {"amount": "300.00", "due_date": (today + dt.timedelta(days=1)).isoformat()},
        format="json",
    ).json()["id"]
    promises_and_plans_check(today + dt.timedelta(days=4))
    assert Promise.objects.get(pk=broken_id).status == PromiseStatus.BROKEN
    assert list(
        WebhookEvent.objects.order_by("id").filter(type__startswith="promise.").values_list("type", flat=True)
    ) == [
        "promise.kept",
        "promise.broken",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_proposals_on_one_case_leave_one_plan(platform, collector, other_collector):
    case = make_case(platform)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def propose(user) -> None:
        try:
            barrier.wait()
            plan_propose(case=case, kind="installment", user=user, first_due_date=TODAY + dt.timedelta(days=7))
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the loser's error is what we check
            outcomes.append(type(exc).__name__)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=propose, args=(u,)) for u in (collector, other_collector)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Plan.objects.filter(case=case).count() == 1
