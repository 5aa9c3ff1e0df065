from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.celery import app as celery_app

from .receiver import Receiver, running_receiver


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run `.delay()` in-process, as the unit tests need; the real broker is never touched."""
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def receiver(platform) -> Iterator[Receiver]:
    """A loopback receiver, set as `platform`'s webhook URL."""
    with running_receiver(platform.webhook_secret) as running:
        platform.webhook_url = running.url
        platform.save(update_fields=["webhook_url"])
        yield running


@pytest.fixture
def broker_down(tmp_path) -> Iterator[None]:
    """A broker that refuses every message: the filesystem transport pointed at a folder that does not exist."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_always_eager)
    missing = str(tmp_path / "no-such-queue")
    conf.task_always_eager = False
    conf.broker_url = "filesystem://"
    conf.broker_transport_options = {"data_folder_in": missing, "data_folder_out": missing}
    # Celery's own reset of pooled broker connections (what it does in a forked worker).
    celery_app._after_fork()
    yield
    conf.broker_url, conf.broker_transport_options, conf.task_always_eager = saved
    celery_app._after_fork()
