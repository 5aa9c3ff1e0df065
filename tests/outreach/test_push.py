"""App push through the platform (issue 17, item 3): a `push` reminder passes the gate like every channel
(quiet hours included), goes out as a `push.message` webhook event to the borrower's platform, and the
platform's receipt sets the contact's outcome."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from contacts.models import ContactAttempt
from outreach.models import JobStatus, MessageStatus, MessageTemplate, OutboundMessage, StrategyStep
from outreach.services import reminder_send
from tests import factories
from webhooks.models import EventType, WebhookEvent
from webhooks.signing import sign

from .conftest import due_job, make_case, shanghai
from .test_provider_receipts import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def push_step(strategy):
    for language, body in (
        ("en", "{borrower_name}, {amount} {currency} is due today."),
        ("zh-hans", "{amount}今日到期"),
    ):
        MessageTemplate.objects.create(code="due-push", channel="push", language=language, subject="Due", body=body)
    return StrategyStep.objects.create(strategy=strategy, offset_days=0, channel="push", template_code="due-push")


def push_case(*, webhook: bool = True):
    platform = factories.PlatformFactory(webhook_url="https://platform.example/hooks" if webhook else "")
    return make_case(platform=platform, due_in_days=0)


def test_a_push_reminder_goes_to_the_platform_as_a_webhook_event(push_step):
    case = push_case()
    job = due_job(case, push_step, status=JobStatus.CLAIMED, claimed_at=shanghai(10))

    assert reminder_send(job_id=job.pk, now=shanghai(10)).status == "sent"

    message = OutboundMessage.objects.get(job=job)
    event = WebhookEvent.objects.get(platform=case.platform, type=EventType.PUSH_MESSAGE)
    assert (message.status, message.provider, message.provider_id) == (MessageStatus.SENT, "push", str(event.event_id))
    assert event.payload == {
        "reference": message.idempotency_key,
        "borrower": case.borrower.external_id,
        "title": "Due",
        "body": message.body,
        "language": "zh-hans",
    }
    assert message.body == "1,000.00今日到期"
    contact = ContactAttempt.objects.get(pk=message.contact_id)
    assert (contact.channel, contact.to, contact.is_pending) == ("push", case.borrower.external_id, True)
    assert job.__class__.objects.get(pk=job.pk).decision.allowed


def test_quiet_hours_defer_a_push_like_any_message(push_step):
    case = push_case()
    late = shanghai(23)
    job = due_job(case, push_step, status=JobStatus.CLAIMED, claimed_at=late)

    outcome = reminder_send(job_id=job.pk, now=late)

    assert outcome.status == "deferred" and "quiet_hours" in outcome.reason
    job.refresh_from_db()
    assert job.scheduled_for == shanghai(8, day=late.date() + dt.timedelta(days=1))
    assert not WebhookEvent.objects.exists() and not OutboundMessage.objects.exists()


def test_a_push_opt_out_blocks_the_push(push_step):
    case = push_case()
    factories.OptOutFactory(borrower=case.borrower, channel="push")
    job = due_job(case, push_step, status=JobStatus.CLAIMED, claimed_at=shanghai(10))
    assert reminder_send(job_id=job.pk, now=shanghai(10)).status == "skipped"
    job.refresh_from_db()
    assert job.skip_reason == "opted_out"
    assert not WebhookEvent.objects.exists()


def test_a_platform_without_a_webhook_cannot_take_a_push(push_step):
    case = push_case(webhook=False)
    job = due_job(case, push_step, status=JobStatus.CLAIMED, claimed_at=shanghai(10))
    assert reminder_send(job_id=job.pk, now=shanghai(10)).status == "skipped"
    job.refresh_from_db()
    assert job.skip_reason == "no_contact_point"


def _pushed(push_step, case=None) -> OutboundMessage:
    case = case or push_case()
    job = due_job(case, push_step, status=JobStatus.CLAIMED, claimed_at=shanghai(10))
    reminder_send(job_id=job.pk, now=shanghai(10))
    return OutboundMessage.objects.get(job=job)


def test_the_platforms_receipt_signed_with_its_own_secret_sets_the_push_contacts_outcome(client, push_step):
    message = _pushed(push_step)
    platform = message.decision.platform

    receipt = {"id": "push-rcpt-1", "message_id": message.provider_id, "status": "delivered"}
    # A global secret, another platform's or none: refused, nothing recorded.
    other = factories.PlatformFactory(webhook_url="https://other.example/hooks")
    for secret in ("push-secret", other.webhook_secret):
        assert post(client, "push", receipt, secret=secret).status_code == 401
    assert post(client, "push", receipt, signature=False).status_code == 401
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT

    response = post(client, "push", receipt, secret=platform.webhook_secret)

    assert response.json()["results"] == [{"id": "push-rcpt-1", "result": "delivered"}]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert ContactAttempt.objects.get(pk=message.contact_id).outcome == "delivered"


def test_while_its_secret_changes_the_platform_signs_with_both(client, push_step):
    message = _pushed(push_step)
    platform = message.decision.platform
    old_secret, new_secret = platform.webhook_secret, "f" * 64
    receipt = {"id": "push-rcpt-2", "message_id": message.provider_id, "status": "failed"}
    body = json.dumps(receipt).encode()
    both = f"{sign(body, old_secret)} {sign(body, new_secret)}"

    assert post(client, "push", receipt, signature=both).status_code == 200  # the old one is still ours
    platform.webhook_secret = new_secret
    platform.save()
    again = {**receipt, "id": "push-rcpt-3"}
    body = json.dumps(again).encode()
    assert (
        post(client, "push", again, signature=f"{sign(body, old_secret)}, {sign(body, new_secret)}").status_code == 200
    )
    assert post(client, "push", {**again, "id": "push-rcpt-4"}, secret=old_secret).status_code == 401


def test_a_receipt_naming_another_platforms_push_is_refused(client, push_step):
    mine, theirs = _pushed(push_step), _pushed(push_step)
    assert mine.decision.platform != theirs.decision.platform
    both = [
        {"id": "r-1", "message_id": mine.provider_id, "status": "delivered"},
        {"id": "r-2", "message_id": theirs.provider_id, "status": "delivered"},
    ]

    assert post(client, "push", both, secret=mine.decision.platform.webhook_secret).status_code == 401
    alone = {"id": "r-3", "message_id": theirs.provider_id, "status": "delivered"}
    assert post(client, "push", alone, secret=mine.decision.platform.webhook_secret).status_code == 401
    assert post(client, "push", alone, secret=theirs.decision.platform.webhook_secret).status_code == 200
