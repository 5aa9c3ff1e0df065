"""Gate decision latency, in process, beside the bare indexed count queries it has to make."""

from __future__ import annotations

import json
import random
import time

from django.db import connection, transaction
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
    from compliance.facts import state_read
    from compliance.packs import DEFAULT_PACKS
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

    # The floor of a decision (issue 21): the same borrower's row lock, the gate's own read statement, one
    # INSERT of a row carrying a decision's facts, and the COMMIT, through Django's cursor, with none of the
    # gate's Python. Into a table of the benchmark's own, logged like the decisions' (dropped at the end).
    facts_json = json.dumps(
        outreach_authorize(
            action=OutreachAction(borrower=borrowers[picks[0]], channel="call", dry_run=True), actor=scheduler
        ).decision.facts
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_gate_floor (id bigserial PRIMARY KEY, borrower_id bigint, facts jsonb)"
        )

    # The read's windows as the default packs set them (the CN book's).
    history_days = DEFAULT_PACKS["COMMON"]["history_days"]
    last_calls = DEFAULT_PACKS["CN"]["third_party_borrower_reachable"]["unanswered_attempts"]
    since = timezone.now() - timezone.timedelta(days=7)
    gate_ms: list[float] = []
    floor_ms: list[float] = []
    bare_ms: list[float] = []
    # Interleaved, sample by sample: on this shared machine a figure and its baseline measured minutes
    # apart can see a different host.
    for bid in picks:
        start = time.perf_counter()
        outreach_authorize(
            action=OutreachAction(borrower=borrowers[bid], channel="call", loan=loans.get(bid)), actor=scheduler
        )
        gate_ms.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM borrowers_borrower WHERE id = %s FOR UPDATE", [bid])
            sql, params = state_read(bid, at=timezone.now(), history_days=history_days, last_calls=last_calls)
            cursor.execute(sql, params)
            cursor.fetchall()
            cursor.execute("INSERT INTO bench_gate_floor (borrower_id, facts) VALUES (%s, %s)", [bid, facts_json])
        floor_ms.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        with connection.cursor() as cursor:
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
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_gate_floor")

    note = (
        f"{SAMPLES} live decisions (decision + pending attempt + evidence links written), interleaved with "
        "baseline: the 3 bare counts; floor: lock + the gate's read statement + INSERT of the facts + COMMIT "
        "through Django's cursor"
    )
    return [
        Figure(
            f"gate decision p{p}",
            _percentile(gate_ms, p),
            "ms",
            _percentile(bare_ms, p),
            budget=5,
            note=note,
            floor=_percentile(floor_ms, p),
        )
        for p in (50, 95, 99)
    ]


def _first_loans(borrower_ids: list[int]) -> dict:
    from cases.models import Loan

    loans = {}
    for loan in Loan.objects.filter(borrower_id__in=set(borrower_ids)).order_by("id"):
        loans.setdefault(loan.borrower_id, loan)
    return loans
