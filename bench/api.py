"""Payments API and bulk loan ingest throughput on loopback, beside a bare DRF endpoint."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import uuid

import requests

from .portfolio import PortfolioInfo
from .result import Figure
from .server import gunicorn

DURATION_S = 10
WARM_UP_S = 2
CLIENT_THREADS = 8
BULK_LOANS = 10_000


def _load(url: str, make_request, seconds: float) -> float:
    """Requests per second of `make_request(session, n)` from a few client threads for `seconds`."""
    counter = itertools.count()
    done = [0]
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        session = requests.Session()
        while time.monotonic() < stop_at:
            response = make_request(session, next(counter))
            if response.status_code >= 300:
                errors.append(f"{response.status_code} {response.text[:200]}")
                return
            with lock:
                done[0] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"load generator got an error: {errors[0]}")
    return done[0] / (time.monotonic() - start)


def _drop_ingested(prefix: str) -> None:
    """Remove the loans the ingest figure added (with their schedules and history rows), so that the
    portfolio stays at its scale from one run to the next. Plain SQL: bench data, no audit trail wanted."""
    from django.db import connection, transaction

    loans = "SELECT id FROM cases_loan WHERE external_id LIKE %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("cases_historicalinstallment", "cases_installment"):
            cursor.execute(f"DELETE FROM {table} WHERE loan_id IN ({loans})", [f"{prefix}%"])  # noqa: S608
        cursor.execute("DELETE FROM cases_historicalloan WHERE external_id LIKE %s", [f"{prefix}%"])
        cursor.execute("DELETE FROM cases_loan WHERE external_id LIKE %s", [f"{prefix}%"])


def measure(info: PortfolioInfo) -> list[Figure]:
    from accounts.models import Platform
    from cases.delinquency import refresh_delinquency
    from cases.models import Case, Loan

    if not Case.objects.exists():
        refresh_delinquency()  # a fresh portfolio has no overdue figures yet (as the refresh figure does)
    platform = Platform.objects.get(pk=info.platform_id)
    key = platform.rotate_api_key()
    platform.save(update_fields=["api_key_hash", "api_key_prefix"])
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    loans = list(Loan.objects.filter(platform=platform, dpd__gt=0).values_list("external_id", flat=True)[:5000])
    run = uuid.uuid4().hex[:8]
    paid_at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()

    def pay(session: requests.Session, n: int):
        body = {"external_id": f"PB-{run}-{n}", "loan": loans[n % len(loans)], "amount": "1.00", "paid_at": paid_at}
        return session.post(
            f"{base}/api/v1/payments/", data=json.dumps(body), headers={**headers, "Idempotency-Key": f"{run}-{n}"}
        )

    def ping(session: requests.Session, n: int):
        return session.get(f"{base}/api/v1/ping/", headers=headers)

    next_year = dt.date.today().year + 1
    bulk = [
        {
            "external_id": f"BLK-{run}-{n}",
            "borrower": f"BB-{1 + n % info.borrowers}",
            "currency": "CNY",
            "principal": "6000.00",
            "disbursed_on": "2026-01-10",
            "installments": [
                # Due in the future: ingested loans join the book without opening cases, so reruns
                # leave the portfolio's delinquency as it was.
                {
                    "seq": s,
                    "due_date": f"{next_year}-{s + 1:02d}-10",
                    "principal_due": "1000.00",
                    "interest_due": "20.00",
                }
                for s in range(1, 7)
            ],
        }
        for n in range(BULK_LOANS)
    ]
    body = json.dumps({"loans": bulk})

    with gunicorn(workers=2, app="bench.bare:application", settings_module="bench.bare_settings") as base:
        # The floor: a bare Django JSON view under the same gunicorn (no middleware, DRF or key).
        _load(base, ping, WARM_UP_S)
        floor_rps = _load(base, ping, DURATION_S)
        start = time.monotonic()
        floor = requests.post(f"{base}/api/v1/ping/", data=body, headers=headers, timeout=600)
        floor_bulk_s = time.monotonic() - start
        if floor.status_code >= 300 or floor.json().get("items") != BULK_LOANS:
            raise RuntimeError(f"the floor answered {floor.status_code}: {floor.text[:300]}")

    with gunicorn(workers=2) as base:
        _load(base, ping, WARM_UP_S)  # both workers loaded, connected, caches warm: the steady state
        ping_rps = _load(base, ping, DURATION_S)
        pay_rps = _load(base, pay, DURATION_S)
        start = time.monotonic()
        response = requests.post(f"{base}/api/v1/loans/bulk/", data=body, headers=headers, timeout=600)
        bulk_s = time.monotonic() - start
        if response.status_code >= 300:
            raise RuntimeError(f"bulk ingest answered {response.status_code}: {response.text[:300]}")
        start = time.monotonic()
        bare = requests.post(f"{base}/api/v1/ping/", data=body, headers=headers, timeout=600)
        bare_bulk_s = time.monotonic() - start
        if bare.status_code >= 300 or bare.json().get("items") != BULK_LOANS:
            raise RuntimeError(f"the bare endpoint answered {bare.status_code}: {bare.text[:300]}")

    _drop_ingested("BLK-")  # this run's and any earlier run's
    return [
        Figure(
            "payments API",
            pay_rps,
            "req/s",
            ping_rps,
            budget=300,
            direction="min",
            note=f"gunicorn 2 workers, {CLIENT_THREADS} client threads on loopback; baseline: the authenticated "
            "GET /ping/; floor: a bare Django JSON view under the same gunicorn",
            floor=floor_rps,
        ),
        Figure(
            "bulk loan ingest",
            BULK_LOANS / bulk_s,
            "loans/s",
            BULK_LOANS / bare_bulk_s,
            budget=10_000,
            direction="min",
            note="one request of 10,000 loans x 6 installments; baseline: the same body POSTed to /ping/ (parsed); "
            "floor: the same body parsed by a bare Django view",
            floor=BULK_LOANS / floor_bulk_s,
        ),
    ]
