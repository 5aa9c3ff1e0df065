"""/readyz: ready only when the database answers with every migration applied and the cache and the
broker answer; each failure is a 503 that names what failed. Dependencies are made unreachable for real:
a port where nothing listens, a database file that cannot be opened, a migration recorded as not applied."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from config.celery import app as celery_app

REDIS_URL = os.environ.get("REDIS_URL", "")


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it) but never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def _redis_cache(url: str) -> dict:
    options = {"socket_connect_timeout": 1, "socket_timeout": 1}
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": options}}


def _point_broker_at(url: str) -> Iterator[str]:
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options)
    conf.broker_url, conf.broker_transport_options = url, {}
    celery_app._after_fork()  # Celery's own reset of pooled broker connections
    try:
        yield url
    finally:
        conf.broker_url, conf.broker_transport_options = saved
        celery_app._after_fork()


@pytest.fixture
def broker_down(closed_port) -> Iterator[str]:
    yield from _point_broker_at(f"redis://127.0.0.1:{closed_port}/11")


@pytest.fixture
def database_unreachable(closed_port) -> Iterator[None]:
    """The default connection, as if never opened, now pointing where no database answers: PostgreSQL on
    a closed port, or an SQLite file in a folder that does not exist. Restored afterwards (the open
    connection is kept aside, so an in-memory test database survives)."""
    saved_settings, saved_connection = dict(connection.settings_dict), connection.connection
    connection.connection = None
    if connection.vendor == "postgresql":
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    else:
        connection.settings_dict["NAME"] = "/nonexistent-readyz-folder/db.sqlite3"
    try:
        yield
    finally:
        if connection.connection is not None:
            connection.connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved_settings)
        connection.connection = saved_connection


@pytest.mark.django_db
def test_ready_when_every_dependency_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (CI does)")
@pytest.mark.django_db
def test_ready_with_a_real_redis_as_cache_and_broker(client):
    parts = urlsplit(REDIS_URL)
    url = urlunsplit((parts.scheme, parts.netloc, "/11", "", ""))
    with override_settings(CACHES=_redis_cache(url)):
        for _ in _point_broker_at(url):
            response = client.get("/readyz")

    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_not_ready_when_the_broker_is_unreachable(client, broker_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["broker"]
    assert body["checks"]["broker"].startswith("unavailable: ")
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert "127.0.0.1" not in response.content.decode()  # no addresses in a public answer


@pytest.mark.django_db
def test_not_ready_when_the_cache_is_unreachable(client, closed_port):
    with override_settings(CACHES=_redis_cache(f"redis://127.0.0.1:{closed_port}/11")):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


@pytest.mark.django_db(transaction=True)
def test_not_ready_when_the_database_is_unreachable(client, database_unreachable):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database", "migrations"]
    assert body["checks"]["database"] == "unavailable: OperationalError"
    assert body["checks"]["migrations"] == "skipped: database unavailable"


@pytest.mark.django_db
def test_not_ready_while_a_migration_is_not_applied(client):
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="outreach").order_by("-id").first()
    assert last is not None
    last.delete()  # inside the test's transaction: rolled back afterwards

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "1 migrations not applied"


@pytest.mark.django_db
def test_liveness_stays_up_when_only_the_broker_is_down(client, broker_down):
    assert client.get("/healthz").status_code == 200
