"""Operational endpoints: liveness (/healthz), readiness (/readyz), Prometheus metrics (/metrics), /favicon.ico."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from .celery import app as celery_app
from .metrics import CONTENT_TYPE, address_allowed, exposition

logger = logging.getLogger(__name__)

# Each dependency gets this long to answer (the broker's connection; the database's is its
# connect_timeout, DATABASE_CONNECT_TIMEOUT_S, and the Redis cache's its socket timeouts, 1 s).
CHECK_TIMEOUT_S = 2


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the container health check: the process answers and the database responds."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    executor = MigrationExecutor(connection)
    unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if unapplied:
        raise RuntimeError(f"{len(unapplied)} migrations not applied")
    return "ok"


def _cache() -> str:
    cache.set("readyz", "1", timeout=10)
    if cache.get("readyz") != "1":
        raise RuntimeError("the cache did not keep a value")
    return "ok"


def _broker() -> str:
    with celery_app.connection_for_write(connect_timeout=CHECK_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=0, timeout=CHECK_TIMEOUT_S)  # one attempt, no retries
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "migrations": _migrations,
    "cache": _cache,
    "broker": _broker,
}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database answers with every migration applied, and the cache and the
    broker answer; else 503 naming what failed. The body names the error's kind only (no host names or
    addresses); the log line has the detail."""
    checks: dict[str, str] = {}
    failing: list[str] = []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failing:
            checks[name] = "skipped: database unavailable"
            failing.append(name)
            continue
        started = time.monotonic()
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency means not ready
            failing.append(name)
            checks[name] = str(exc) if isinstance(exc, RuntimeError) else f"unavailable: {type(exc).__name__}"
            logger.warning("readiness check %s failed after %.2f s: %r", name, time.monotonic() - started, exc)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: only from METRICS_ALLOWED_IPS (the socket's address, never a forwarded header)."""
    if not address_allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponseForbidden("metrics are not served to this address\n", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says; it lives with the static files."""
    return HttpResponseRedirect(static("favicon.ico"))
