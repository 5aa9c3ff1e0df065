"""Gate decision latency, in process, beside the bare indexed count queries it has to make."""

from __future__ import annotations

import random
import statistics
import time

from django.db import connection
from django.utils import timezone

from .portfolio import PortfolioInfo
from .result import Figure

SAMPLES = 1000


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(info: PortfolioInfo) -> list[Figure]:
    from borrowers.models import Borrower
    from compliance.actions import Actor, OutreachAction
    from compliance.services import outreach_authorize

    rng = random.Random(11)
    ids = list(Borrower.objects.filter(platform_id=info.platform_id).values_list("id", flat=True)[:50_000])
    picks = [rng.choice(ids) for _ in range(SAMPLES)]
    borrowers = Borrower.objects.in_bulk(picks)
    loans = _first_loans(picks)
    # Warm caches (rule packs, zone tables) so the figure is the steady state, not the first call.
    scheduler = Actor.scheduler()
    outreach_authorize(
        action=OutreachAction(borrower=borrowers[picks[0]], channel="sms", dry_run=True), actor=scheduler
    )

    gate_ms: list[float] = []
    for bid in picks:
        start = time.perf_counter()
        outreach_authorize(
            action=OutreachAction(borrower=borrowers[bid], channel="call", loan=loans.get(bid)), actor=scheduler
        )
        gate_ms.append((time.perf_counter() - start) * 1000)

    since = timezone.now() - timezone.timedelta(days=7)
    bare_ms: list[float] = []
    with connection.cursor() as cursor:
        for bid in picks:
            start = time.perf_counter()
            cursor.execute(
                "SELECT count(*) FROM contacts_contactattempt WHERE borrower_id = %s AND channel = 'call' AND at >= %s",
                [bid, since],
            )
            cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM borrowers_hold WHERE borrower_id = %s AND starts_at <= now() "
                "AND (ends_at IS NULL OR ends_at > now())",
                [bid],
            )
            cursor.fetchone()
            cursor.execute("SELECT count(*) FROM borrowers_optout WHERE borrower_id = %s", [bid])
            cursor.fetchone()
            bare_ms.append((time.perf_counter() - start) * 1000)

    note = f"{SAMPLES} live decisions (decision + pending attempt + evidence link written); baseline: the 3 bare counts"
    return [
        Figure("gate decision p50", statistics.median(gate_ms), "ms", statistics.median(bare_ms), budget=5, note=note),
        Figure("gate decision p95", _percentile(gate_ms, 95), "ms", _percentile(bare_ms, 95), budget=5, note=note),
        Figure("gate decision p99", _percentile(gate_ms, 99), "ms", _percentile(bare_ms, 99), budget=5, note=note),
    ]


def _first_loans(borrower_ids: list[int]) -> dict:
    from cases.models import Loan

    loans = {}
    for loan in Loan.objects.filter(borrower_id__in=set(borrower_ids)).order_by("id"):
        loans.setdefault(loan.borrower_id, loan)
    return loans
