"""Webhook events of this app, through the webhooks outbox when that app provides it.

`webhooks.services.event_emit(*, platform, type, data)` writes an outbox row in the caller's
transaction, so an event exists exactly when the state change it announces was committed. It is
imported late because the webhooks app is built in parallel; until it exists, events are dropped
(the state changes themselves are still recorded as CaseEvents).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from accounts.models import Platform

logger = logging.getLogger(__name__)

PROMISE_KEPT = "promise.kept"
PROMISE_BROKEN = "promise.broken"
PLAN_ACTIVATED = "plan.activated"
PLAN_BROKEN = "plan.broken"


def emit(platform: Platform, type: str, data: dict[str, Any]) -> None:  # noqa: A002 - the webhook's own word
    try:
        services = importlib.import_module("webhooks.services")
    except ModuleNotFoundError:
        logger.info("webhooks.services not available; %s for platform %s not queued", type, platform.pk)
        return
    services.event_emit(platform=platform, type=type, data=data)
