"""Celery queues per kind of work (config/settings.py, docs/operations.md "Scaling"): each task is published to
its queue on a real broker, a worker started without -Q consumes every queue, and the compose file's workers
together consume them all."""

from __future__ import annotations

import pytest
import yaml
from celery import Celery
from django.conf import settings
from kombu import Connection

QUEUE_OF = {
    "outreach.reminders_dispatch": "dispatch",
    "outreach.send_reminders": "dispatch",
    "outreach.send_reminder": "dispatch",
    "outreach.validation_notices_send": "dispatch",
    "webhooks.deliver_event": "webhooks",
    "webhooks.sweep": "webhooks",
    "outreach.refresh_and_plan": "refresh",
    "cases.refresh_delinquency": "refresh",
    "outreach.reminders_plan": "refresh",
    "outreach.escalate": "refresh",
    "repayment_plans.promises_and_plans_check": "refresh",
    "outreach.on_payment": "celery",
    "repayment_plans.on_payment_recorded": "celery",
    "accounts.purge_idempotency_keys": "celery",
    "compliance.records_purge": "celery",
}
QUEUES = {"celery", "dispatch", "webhooks", "refresh"}


@pytest.fixture
def app(tmp_path) -> Celery:
    """The product's Celery configuration on a broker of this test's own: kombu's filesystem transport (the
    broker of `make run`) in a temporary folder."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    app = Celery("collections-queues-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.task_always_eager = False
    app.conf.broker_url = "filesystem://localhost/"
    app.conf.broker_transport_options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    return app


def _drain(app: Celery, queue: str) -> list[str]:
    """The task names waiting on `queue`, taken off the broker."""
    names = []
    with Connection(app.conf.broker_url, transport_options=app.conf.broker_transport_options) as connection:
        waiting = connection.SimpleQueue(queue)
        while True:
            try:
                message = waiting.get(block=False)
            except waiting.Empty:
                break
            names.append(message.headers["task"])
            message.ack()
        waiting.close()
    return names


def test_each_task_is_published_to_its_queue(app):
    # Declared first, as a worker consuming them would have (the transport delivers only to bound queues).
    with app.connection_for_write() as connection:
        for queue in app.amqp.queues.values():
            queue(connection.default_channel).declare()
    for name in QUEUE_OF:
        app.send_task(name)

    received = {queue: _drain(app, queue) for queue in QUEUES}

    assert {queue: sorted(names) for queue, names in received.items()} == {
        queue: sorted(name for name, its_queue in QUEUE_OF.items() if its_queue == queue) for queue in QUEUES
    }


def test_every_task_of_the_product_has_a_known_queue():
    from config.celery import app

    app.loader.import_default_modules()
    product = {name for name in app.tasks if not name.startswith(("celery.", "bench."))}

    assert product == set(QUEUE_OF)


def test_a_worker_started_without_queues_consumes_every_queue():
    """`make run` (scripts/run_all.sh) and the tests' workers start `celery worker` without -Q."""
    from config.celery import app

    assert set(app.amqp.queues) == QUEUES
    assert {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {"celery"} == QUEUES


def _queues_of(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(",")) if "-Q" in command else QUEUES


def test_the_compose_workers_consume_every_queue_and_each_exports_its_metrics():
    services = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())["services"]
    workers = {name: service for name, service in services.items() if "worker" in service.get("command", [])}

    assert set(workers) == {"worker", "worker-dispatch", "worker-webhooks"}
    assert set().union(*(_queues_of(service["command"]) for service in workers.values())) == QUEUES
    assert _queues_of(workers["worker-dispatch"]["command"]) == {"dispatch"}
    assert _queues_of(workers["worker-webhooks"]["command"]) == {"webhooks"}
    assert all(service["environment"]["METRICS_WORKER_PORT"] == "9808" for service in workers.values())
