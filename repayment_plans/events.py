"""Webhook events of this app, written to the webhooks outbox in the caller's transaction.

`webhooks.services.event_emit` records the event in the same transaction as the state change it
announces, so that a rollback takes the event with it; delivery (signed, retried) happens after commit.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Platform

PROMISE_KEPT = "promise.kept"
PROMISE_BROKEN = "promise.broken"
PLAN_ACTIVATED = "plan.activated"
PLAN_BROKEN = "plan.broken"


def emit(platform: Platform, type: str, data: dict[str, Any]) -> None:  # noqa: A002 - the webhook's own word
    # Imported late: webhooks imports cases, which this app's models are imported alongside.
    from webhooks.services import event_emit

    event_emit(platform=platform, type=type, data=data)
