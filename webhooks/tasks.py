"""Celery entry points: thin wrappers that take ids and call the services."""

from __future__ import annotations

from celery import shared_task

from . import services


# acks_late: a worker that dies mid-attempt leaves the message to be redelivered; the claim in
# event_deliver makes the redelivery (or any duplicate) harmless.
@shared_task(name="webhooks.deliver_event", acks_late=True, ignore_result=True)
def deliver_event(event_id: int) -> str:
    """One delivery attempt of WebhookEvent `event_id` (its pk)."""
    return services.event_deliver(event_id=event_id)


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep() -> int:
    """Beat, every minute: queue deliveries that are due (retries, lost tasks, bulk-emitted rows)."""
    return services.events_sweep()
