"""The webhook outbox by status for Prometheus, counted in the database when /metrics is scraped
(config.metrics): undelivered, retrying and dead events, and how long the oldest has waited."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .models import UNDELIVERED, EventStatus, WebhookEvent


class WebhookOutboxCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        events = GaugeMetricFamily(
            "collections_webhook_events", "Webhook events in the outbox by delivery status.", labels=["status"]
        )
        rows = WebhookEvent.objects.order_by().values_list("status").annotate(n=Count("id"), oldest=Min("created_at"))
        found = {status: (n, oldest) for status, n, oldest in rows}
        for status in EventStatus.values:
            events.add_metric([status], found.get(status, (0, None))[0])
        yield events
        age = GaugeMetricFamily(
            "collections_webhook_events_oldest_age_seconds",
            "Age of the oldest event not yet delivered, by status (0 when none).",
            labels=["status"],
        )
        for status in UNDELIVERED:
            oldest = found.get(status, (0, None))[1]
            age.add_metric([status], (now - oldest).total_seconds() if oldest else 0.0)
        yield age
