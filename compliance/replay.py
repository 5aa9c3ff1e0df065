"""Replay: evaluate a stored decision again from its stored action, facts and pack versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Decision
from .packs import params_at_versions
from .rules import decide


@dataclass
class ReplayDifference:
    decision_id: int
    stored: dict[str, Any]
    now: dict[str, Any]

    def describe(self) -> str:
        changed = {k: (self.stored[k], self.now[k]) for k in self.stored if self.stored[k] != self.now[k]}
        return f"decision {self.decision_id}: " + "; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items())


def _summary(*, allowed: bool, failing: list[str], next_allowed_at: str | None) -> dict[str, Any]:
    return {"allowed": allowed, "failing": sorted(failing), "next_allowed_at": next_allowed_at}


def replay_decision(decision: Decision) -> ReplayDifference | None:
    """None when the rules give today what they gave then; else what differs.

    An override is compared on the rules' own verdict (what was overridden), since its `allowed` was
    a supervisor's, not the rules'.
    """
    params = params_at_versions(decision.pack_versions)
    verdict = decide(decision.facts["action"], decision.facts, params)
    stored_failing = [r["code"] for r in decision.reasons]
    stored_allowed = decision.allowed if decision.override_of_id is None else not stored_failing
    stored_next = decision.next_allowed_at.isoformat() if decision.next_allowed_at else None
    now_next = verdict.next_allowed_at.isoformat() if verdict.next_allowed_at else None
    if decision.override_of_id is not None:
        stored_next, now_next = None, None  # an override has no next time; it happened
    stored = _summary(allowed=stored_allowed, failing=stored_failing, next_allowed_at=stored_next)
    now = _summary(allowed=verdict.allowed, failing=[r.code for r in verdict.reasons], next_allowed_at=now_next)
    return None if stored == now else ReplayDifference(decision.pk, stored, now)
