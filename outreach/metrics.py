"""Reminder jobs by status for Prometheus, counted in the database when /metrics is scraped (config.metrics).

One GROUP BY over the reminder jobs per scrape: cheap at the demo's and the benchmark's sizes; with
millions of jobs, scrape every minute rather than every few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .models import JobStatus, ReminderJob

# States in which a job still waits for the dispatcher; their oldest due job says whether it keeps up.
WAITING = (JobStatus.PENDING, JobStatus.DEFERRED, JobStatus.CLAIMED)


class ReminderJobsCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        jobs = GaugeMetricFamily("collections_reminder_jobs", "Reminder jobs by status.", labels=["status"])
        counts = dict(ReminderJob.objects.order_by().values_list("status").annotate(n=Count("id")))
        for status in JobStatus.values:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        oldest = GaugeMetricFamily(
            "collections_reminder_jobs_oldest_due_age_seconds",
            "Age of the oldest due job still waiting, by status (0 when none): the dispatcher's lag.",
            labels=["status"],
        )
        due = (
            ReminderJob.objects.order_by()
            .filter(Q(status__in=WAITING), scheduled_for__lte=now)
            .values_list("status")
            .annotate(oldest=Min("scheduled_for"))
        )
        found = dict(due)
        for status in WAITING:
            at = found.get(status)
            oldest.add_metric([status], (now - at).total_seconds() if at else 0.0)
        yield oldest
