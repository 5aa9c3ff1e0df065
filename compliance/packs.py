"""Rule pack parameters: the defaults as data, and the versioned rows a compliance officer edits.

The defaults below are version 1 of each pack (seeded by a data migration). After that the database is
the source of truth: the admin saves an edited pack as a new version, and a decision records the version
of every pack it used so that it can be replayed with exactly those numbers.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .models import RulePack

# Quiet-hour windows are [start, end) in local wall-clock time, "HH:MM".
DEFAULT_PACKS: dict[str, dict[str, Any]] = {
    "COMMON": {
        "vulnerable_limit": {"max_calls_per_day": 1, "visits_allowed": False},
        # Holds whose kinds a supervisor may never override (RULES.md, "The decision").
        "non_overridable_holds": ["cease", "attorney", "bankruptcy", "deceased", "breathing_space"],
        # How far back the gate reads the contact log (local days); must cover every window below.
        "history_days": 31,
    },
    "CN": {
        "quiet_hours": {"start": "08:00", "end": "22:00", "exempt_channels": ["letter"]},
        "daily_answered_cap": {"max_answered_calls": 3},
        "daily_unanswered_cap": {"max_unanswered_per_number": 6},
        "third_party_borrower_reachable": {"unanswered_attempts": 6, "no_conversation_days": 3},
        "visit_requires_two_collectors": {"min_collectors": 2},
        "retention": {"years_after_last_activity": 2, "source": "CN practice (GB/T 45251-2025): at least 2 years"},
    },
    "US": {
        "quiet_hours": {"start": "08:00", "end": "21:00", "exempt_channels": ["letter"]},
        "call_frequency_7in7": {"max_attempts": 7, "window_days": 7, "consent_valid_days": 7},
        "conversation_cooldown": {"days": 7},
        "missing_opt_out": {"sms": ["STOP"], "email": ["unsubscribe"]},
        "third_party_repeat": {"max_contacts": 1},
        "retention": {"years_after_last_activity": 3, "source": "Regulation F, 12 CFR 1006.100(a)"},
    },
    "US-MA": {
        "state_frequency_cap": {
            "personal_phone_max": 2,
            "personal_phone_days": 7,
            "other_phone_max": 2,
            "other_phone_days": 30,
            "visit_max": 1,
            "visit_days": 30,
        },
    },
    "US-WA": {
        "state_frequency_cap": {"max": 3, "days": 7, "work_max": 1, "work_days": 7},
    },
    "UK": {
        "quiet_hours": {"start": "08:00", "end": "21:00", "exempt_channels": ["letter"]},
        "call_frequency_cap": {"max_per_day": 3, "max_per_window": 10, "window_days": 7},
        "retention": {"years_after_last_activity": 6, "source": "FCA practice; Limitation Act 1980 s.5 (6 years)"},
    },
}

PACK_CODES = tuple(DEFAULT_PACKS)
JURISDICTION_PACKS = {"CN": "CN", "US": "US", "UK": "UK"}
STATE_OVERLAYS = {"US-MA", "US-WA"}

_CACHE_TTL_S = 30.0
_cache: dict[str, tuple[float, int, dict[str, Any]]] = {}
_lock = threading.Lock()


def packs_for_region(region: str, default_jurisdiction: str) -> list[str]:
    """The pack codes that apply, COMMON first: CN-* → CN, US-* → US (+ MA/WA overlay), GB-* → UK."""
    region = (region or "").strip().upper()
    prefix = region.split("-", 1)[0]
    if prefix == "CN":
        main = ["CN"]
    elif prefix == "US":
        main = ["US"] + ([region] if region in STATE_OVERLAYS else [])
    elif prefix == "GB":
        main = ["UK"]
    else:
        main = [JURISDICTION_PACKS.get(default_jurisdiction, "CN")]
    return ["COMMON", *main]


def pack_label(codes: list[str]) -> str:
    """What the API calls `rule_pack`: the jurisdiction pack and any overlay, e.g. "US+US-MA"."""
    return "+".join(c for c in codes if c != "COMMON")


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def active_pack(code: str) -> tuple[int, dict[str, Any]]:
    """(version, params) of the latest version of a pack.

    Cached per process for a short time (the gate's latency budget is a few milliseconds); a save in
    this process clears the cache at once, other processes pick the new version up within the TTL.
    """
    now = time.monotonic()
    with _lock:
        hit = _cache.get(code)
        if hit and now - hit[0] < _CACHE_TTL_S:
            return hit[1], hit[2]

    row = RulePack.objects.filter(code=code).order_by("-version").first()
    if row is None:
        # Not seeded yet (e.g. a fresh test database without migrations): fall back to the defaults
        # as version 0, which replay also understands.
        version, params = 0, copy.deepcopy(DEFAULT_PACKS[code])
    else:
        version, params = row.version, row.params
    frozen = _freeze(params)
    with _lock:
        _cache[code] = (now, version, frozen)
    return version, frozen


def _freeze(value: Any) -> Any:
    """A read-only deep copy: every caller shares the cached params, so a mutation must fail loudly
    (copying them per call cost the gate ~0.5 ms)."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy of cached params (to derive a new pack version from them)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def active_params(code: str) -> dict[str, Any]:
    return active_pack(code)[1]


def pack_params(codes: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The latest params of each pack and the versions used, for one evaluation."""
    params: dict[str, dict[str, Any]] = {}
    versions: dict[str, int] = {}
    for code in codes:
        versions[code], params[code] = active_pack(code)
    return params, versions


def params_at_versions(versions: dict[str, int]) -> dict[str, dict[str, Any]]:
    """The params of the exact pack versions a stored decision used (for replay)."""

    out: dict[str, dict[str, Any]] = {}
    for code, version in versions.items():
        if version == 0:
            out[code] = copy.deepcopy(DEFAULT_PACKS[code])
            continue
        out[code] = RulePack.objects.get(code=code, version=version).params
    return out
