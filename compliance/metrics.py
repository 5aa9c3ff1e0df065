"""The gate's decisions as Prometheus counters (exposed at /metrics, config.metrics).

`decision_recorded` is called by the gate where it writes a decision (compliance.services._save: the
decisions are plain inserts, so no post_save tells anyone); the count is taken once the transaction has
committed, in the process that decided: the web's for pages and the API, the worker's for reminders.
"""

from __future__ import annotations

from django.db import transaction
from prometheus_client import Counter

from .models import Decision

DECISIONS = Counter(
    "collections_gate_decisions",
    "Compliance gate decisions by verdict and deciding rule (the first reason of a block; empty when allowed).",
    ["verdict", "rule"],
)
BLOCK_REASONS = Counter(
    "collections_gate_block_reasons",
    "Reasons given by blocking gate decisions, one per rule code (a decision may give several).",
    ["rule"],
)


def decision_count(decision: Decision) -> None:
    codes = [str(reason.get("code", "")) for reason in decision.reasons or [] if isinstance(reason, dict)]
    if decision.allowed:
        DECISIONS.labels(verdict="allowed", rule="").inc()
        return
    DECISIONS.labels(verdict="blocked", rule=codes[0] if codes else "").inc()
    for code in codes:
        BLOCK_REASONS.labels(rule=code).inc()


def decision_recorded(decision: Decision) -> None:
    """Count this decision when its transaction commits (a rolled-back gate call decided nothing).
    Never fails the caller: robust on_commit callbacks log their errors instead of raising."""
    transaction.on_commit(lambda: decision_count(decision), robust=True)
