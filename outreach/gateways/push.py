"""App push through the platform: the message becomes a `push.message` webhook event for the borrower's
platform, which shows it in its own app. The event is written in the send's transaction (the webhooks
outbox), so a send that rolls back takes its event with it and a resend writes it once; delivery,
signing and retries are the webhooks app's. The platform reports what became of it through
POST /api/v1/providers/push/receipts/, signed with its own webhook secret (outreach.signatures), naming
the event id, which is the message's provider id."""

from __future__ import annotations

from webhooks.models import EventType
from webhooks.services import event_emit

from ..models import OutboundMessage
from .base import Gateway, Message, SendResult


class PushGateway(Gateway):
    name = "push"

    def send(self, message: Message) -> SendResult:
        outbound = (
            OutboundMessage.objects.select_related("decision__platform", "decision__borrower")
            .filter(idempotency_key=message.idempotency_key)
            .first()
        )
        if outbound is None or outbound.decision is None:
            return SendResult(permanent_error="push: no recorded message for this key")
        decision = outbound.decision
        data = {
            "reference": message.idempotency_key,
            "borrower": decision.borrower.external_id,
            "title": message.subject,
            "body": message.body,
            "language": message.language,
        }
        event = event_emit(platform=decision.platform, type=EventType.PUSH_MESSAGE, data=data)
        if event is None:
            return SendResult(permanent_error="push: the platform receives no webhooks")
        return SendResult(provider_id=str(event.event_id), status="sent")
