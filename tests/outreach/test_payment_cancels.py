"""A payment through the API cancels the reminders it made obsolete, in the same transaction."""

import pytest

from outreach.models import ReminderJob

from .conftest import due_job, make_case, step


@pytest.mark.django_db
def test_a_payment_cancels_the_pending_reminder_for_the_installment_it_paid(api, platform, strategy):
    case = make_case(platform=platform, due_in_days=-2)
    job = due_job(case, step(strategy, 1))
    response = api.post(
        "/api/v1/payments/",
        {
            "external_id": "P-cancel-1",
            "loan": case.loan.external_id,
            "amount": "1000.00",
            "paid_at": "2026-01-05T10:00:00Z",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-cancel-1",
    )
    assert response.status_code == 201, response.content
    job.refresh_from_db()
    assert (job.status, job.skip_reason) == ("cancelled", "installment_paid")


@pytest.mark.django_db
def test_a_partial_payment_leaves_the_reminder_waiting(api, platform, strategy):
    case = make_case(platform=platform, due_in_days=-2)
    job = due_job(case, step(strategy, 1))
    response = api.post(
        "/api/v1/payments/",
        {
            "external_id": "P-part-1",
            "loan": case.loan.external_id,
            "amount": "10.00",
            "paid_at": "2026-01-05T10:00:00Z",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-part-1",
    )
    assert response.status_code == 201, response.content
    assert ReminderJob.objects.get(pk=job.pk).status == "pending"
