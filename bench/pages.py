"""Work queue and case page: server time and query count at portfolio scale, in process."""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .portfolio import PortfolioInfo
from .result import Figure

REQUESTS = 30


def _assign_open_cases(scale: int) -> None:
    """Spread the open cases over the bench's collectors (the refresh leaves them unassigned), then
    refresh the planner's statistics as autovacuum would after such a change."""
    from accounts.models import User

    from .portfolio import collectors_for, ensure_collectors

    ensure_collectors(collectors_for(scale))
    ids = list(User.objects.filter(username__startswith="bench-collector-").order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET assigned_to_id = (%s::bigint[])[1 + (id %% %s)] "
            "WHERE status = 'open' AND assigned_to_id IS DISTINCT FROM (%s::bigint[])[1 + (id %% %s)]",
            [ids, len(ids), ids, len(ids)],
        )
        cursor.execute("ANALYZE cases_case")


def _time_get(client: Client, url: str) -> tuple[list[float], int, int]:
    client.get(url)  # warm
    times = []
    status = 0
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Read now: every request starts by clearing the connection's query log.
    query_count = len(queries.captured_queries)
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    return times, query_count, status


def measure(info: PortfolioInfo) -> list[Figure]:
    from accounts.models import User
    from cases.models import Case

    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False  # plain HTTP in process, as the measured gunicorn (bench.server)
    _assign_open_cases(info.loans)
    collector = User.objects.get(username="bench-collector-1")
    case = Case.objects.open().filter(assigned_to=collector).order_by("-priority").first()
    client = Client()
    client.force_login(collector)

    queue_ms, queue_queries, queue_status = _time_get(client, "/queue/")
    case_ms, case_queries, case_status = _time_get(client, f"/cases/{case.pk}/")
    if queue_status != 200 or case_status != 200:
        raise RuntimeError(f"pages answered {queue_status} / {case_status}")

    def bare_queue() -> float:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, c.dpd, c.stage, c.overdue_amount, b.full_name FROM cases_case c "
                "JOIN borrowers_borrower b ON b.id = c.borrower_id "
                "WHERE c.assigned_to_id = %s AND c.status = 'open' ORDER BY c.priority DESC LIMIT 25",
                [collector.pk],
            )
            cursor.fetchall()
        return (time.perf_counter() - start) * 1000

    bare = statistics.median(bare_queue() for _ in range(REQUESTS))
    open_for_collector = Case.objects.open().filter(assigned_to=collector).count()
    return [
        Figure(
            "work queue p95",
            sorted(queue_ms)[int(0.95 * (REQUESTS - 1))],
            "ms",
            bare,
            budget=150,
            note=f"{queue_queries} queries; {open_for_collector} open cases in the queue; baseline: bare page SELECT",
        ),
        Figure(
            "case page p95",
            sorted(case_ms)[int(0.95 * (REQUESTS - 1))],
            "ms",
            bare,
            budget=150,
            note=f"{case_queries} queries; baseline: bare queue SELECT",
        ),
        Figure("work queue queries", queue_queries, "queries", None, budget=40, note="constant in the queue's size"),
        Figure("case page queries", case_queries, "queries", None, budget=60, note="constant in the case's history"),
    ]
