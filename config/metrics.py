"""What /metrics exposes, and to whom.

Two parts, joined in one answer:

- the process's own metrics: requests and latencies (django-prometheus' middleware), gate decisions
  (compliance.metrics), refresh durations (cases.metrics). Under gunicorn with several worker processes
  they are summed over all of them through prometheus-client's multiprocess mode, which config/gunicorn.py
  switches on (PROMETHEUS_MULTIPROC_DIR); under runserver they are the one process's.
- counts read from the database at scrape time: reminder jobs by status (outreach.metrics) and the webhook
  outbox (webhooks.metrics), the same whichever process answers.

Decisions and refreshes made in the Celery worker are in the worker's processes: its own exporter
(`start_worker_exporter`, on METRICS_WORKER_PORT) serves them to Prometheus as a second target.
"""

from __future__ import annotations

import ipaddress
import logging
import os

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from outreach.metrics import ReminderJobsCollector
from webhooks.metrics import WebhookOutboxCollector

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_database = CollectorRegistry(auto_describe=False)
_database.register(ReminderJobsCollector())
_database.register(WebhookOutboxCollector())


def process_registry() -> CollectorRegistry:
    """This process's metrics, or those of every process sharing PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> bytes:
    return generate_latest(process_registry()) + generate_latest(_database)


def address_allowed(address: str) -> bool:
    """Whether METRICS_ALLOWED_IPS (addresses or networks) admits this client address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)


def start_worker_exporter(port: int) -> None:
    """The Celery worker's metrics (decisions and refreshes made by its pool processes) on their own port.

    Runs in the worker's main process; the pool's processes write to PROMETHEUS_MULTIPROC_DIR, which
    config/celery.py sets before anything is counted. Not reachable from outside the container unless
    the port is published: Prometheus scrapes it inside the network.
    """
    start_http_server(port, registry=process_registry())
    logger.info("worker metrics on port %s", port)
