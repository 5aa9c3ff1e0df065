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
