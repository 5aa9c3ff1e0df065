"""Gather what the rules need about one borrower and one action into a JSON-serialisable dict.

The dict is stored on the decision as it is, so everything a rule reads must come from here: the
candidate zones, holds, opt-outs, the target number or address, and the recent contact log (not just
counts, so that replay and next_allowed_at can recount windows without the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.apps import apps
from django.db import connection

from accounts import rawsql
from accounts.models import Platform
from borrowers.models import Borrower, Email, Hold, OptOut, Phone, ThirdParty, effective_vulnerabilities
from cases.models import Loan
from contacts.models import ContactAttempt, Direction

from . import lexicon
from .zones import candidate_zones, local_day, primary_zone, start_of_local_day, tz

FACTS_VERSION = 1
PENDING_SKEW = dt.timedelta(minutes=5)
_COUNTRY_OF_REGION = {"CN": "CN", "US": "US", "GB": "GB"}


def normalise_to(value: str | None, *, channel: str, region: str = "") -> str:
    """The canonical form of a number (E.164) or address (lower case), so that the log, opt-outs and
    the borrower's phones compare equal however the caller wrote them."""
    value = (value or "").strip()
    if not value:
        return ""
    if channel in ("call", "sms"):
        default = _COUNTRY_OF_REGION.get(region.split("-", 1)[0].upper())
        try:
            parsed = phonenumbers.parse(value, default)
        except phonenumbers.NumberParseException:
            return value
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if channel == "email":
        return value.lower()
    return value


def _phone_kind_of_unknown(number: str) -> str:
    """A number that is not one of the borrower's: treat it as a mobile unless it is surely a landline,
    since a mobile needs consent for automated calls and texts (the safe side)."""
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return "mobile"
    return "home" if kind == phonenumbers.PhoneNumberType.FIXED_LINE else "mobile"


# The contact-log columns the rules read (the workspace gathers the same in bulk).
LOG_FIELDS = (
    "id",
    "at",
    "channel",
    "direction",
    "party",
    "third_party_id",
    "to",
    "at_work",
    "loan_id",
    "outcome",
    "consented",
)


@dataclass
class LockedBorrower:
    """The borrower as read under the gate's row lock: what the rules and the writes need, nothing more."""

    id: int
    platform_id: int
    external_id: str
    region: str
    timezone: str
    vulnerabilities: list[str]
    date_of_birth: dt.date | None
    address: str
    default_jurisdiction: str
    phones: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.id

    def effective_vulnerabilities(self, on: dt.date) -> list[str]:
        return effective_vulnerabilities(self.vulnerabilities, self.date_of_birth, on=on)


def lock_borrower(borrower_id: int) -> LockedBorrower:
    """Lock the borrower's row (only that row, not the platform joined for its default jurisdiction)
    and read it with its phones and e-mail addresses, after the lock is granted.

    Plain SQL: this is the gate's hot path (see accounts.rawsql). SQLite has no row locks; it
    serialises writers itself.
    """
    lock = " FOR UPDATE OF b" if connection.features.has_select_for_update_of else ""
    row = rawsql.fetch_one(
        f"SELECT {rawsql.columns(Borrower, _BORROWER_COLUMNS, 'b')}, p.default_jurisdiction "  # noqa: S608
        f"FROM {rawsql.table(Borrower)} b JOIN {rawsql.table(Platform)} p ON p.id = b.platform_id "
        f"WHERE b.id = %s{lock}",
        [borrower_id],
    )
    if row is None:
        raise Borrower.DoesNotExist(f"Borrower {borrower_id} does not exist.")
    bid, platform_id, external_id, region, zone, vulnerabilities, dob, address, jurisdiction = row
    locked = LockedBorrower(
        id=bid,
        platform_id=platform_id,
        external_id=external_id,
        region=region,
        timezone=zone,
        vulnerabilities=rawsql.as_json(vulnerabilities) or [],
        date_of_birth=rawsql.as_date(dob),
        address=address,
        default_jurisdiction=jurisdiction,
    )
    phone_cols = ("number", "kind", "invalid", "autodial_consent", "work_contact_prohibited")
    for number, kind, invalid, autodial, no_work in rawsql.fetch(
        f"SELECT {rawsql.columns(Phone, phone_cols)} FROM {rawsql.table(Phone)} "  # noqa: S608
        "WHERE borrower_id = %s ORDER BY position, id",
        [borrower_id],
    ):
        locked.phones.append(
            {
                "number": number,
                "kind": kind,
                "invalid": bool(invalid),
                "autodial_consent": bool(autodial),
                "work_contact_prohibited": bool(no_work),
            }
        )
    for address_, kind, invalid in rawsql.fetch(
        f"SELECT address, kind, invalid FROM {rawsql.table(Email)} "  # noqa: S608
        "WHERE borrower_id = %s ORDER BY position, id",
        [borrower_id],
    ):
        locked.emails.append({"address": address_, "kind": kind, "invalid": bool(invalid)})
    return locked


_BORROWER_COLUMNS = (
    "id",
    "platform_id",
    "external_id",
    "region",
    "timezone",
    "vulnerabilities",
    "date_of_birth",
    "address",
)


def _read_log(borrower_id: int, since: dt.datetime, at: dt.datetime) -> list[dict[str, Any]]:
    """The contact log the windows can reach, oldest first (see gather_facts for the bounds)."""
    sql = (
        f"SELECT {rawsql.columns(ContactAttempt, LOG_FIELDS)} FROM {rawsql.table(ContactAttempt)} "  # noqa: S608
        "WHERE borrower_id = %s AND at >= %s AND (at <= %s OR (outcome = '' AND direction = %s AND at <= %s)) "
        "ORDER BY at, id"
    )
    rows = rawsql.fetch(sql, [borrower_id, since, at, Direction.OUTBOUND, at + PENDING_SKEW])
    log = []
    for row in rows:
        entry = dict(zip(LOG_FIELDS, row, strict=True))
        entry["at"] = rawsql.as_datetime(entry["at"])
        entry["at_work"] = bool(entry["at_work"])
        entry["consented"] = bool(entry["consented"])
        log.append(entry)
    return log


def _last_call_outcomes(borrower_id: int, at: dt.datetime, limit: int) -> list[str]:
    """Outcomes of the borrower's latest outbound calls before `at`, newest first."""
    if limit <= 0:
        return []
    rows = rawsql.fetch(
        f"SELECT outcome FROM {rawsql.table(ContactAttempt)} "  # noqa: S608
        "WHERE borrower_id = %s AND channel = 'call' AND at < %s AND direction = %s AND party = 'borrower' "
        "ORDER BY at DESC, id DESC LIMIT %s",
        [borrower_id, at, Direction.OUTBOUND, limit],
    )
    return [outcome for (outcome,) in rows]


def _holds(borrower_id: int, at: dt.datetime) -> list[dict[str, Any]]:
    rows = rawsql.fetch(
        f"SELECT id, kind, loan_id, starts_at, ends_at FROM {rawsql.table(Hold)} "  # noqa: S608
        "WHERE borrower_id = %s AND (ends_at IS NULL OR ends_at > %s) ORDER BY starts_at DESC, id",
        [borrower_id, at],
    )
    holds = []
    for hold_id, kind, loan_id, starts_at, ends_at in rows:
        ends = rawsql.as_datetime(ends_at)
        holds.append(
            {
                "id": hold_id,
                "kind": kind,
                "loan_id": loan_id,
                "starts_at": rawsql.as_datetime(starts_at).astimezone(dt.UTC).isoformat(),
                "ends_at": ends.astimezone(dt.UTC).isoformat() if ends else None,
            }
        )
    return holds


def _opt_outs(borrower: LockedBorrower) -> list[dict[str, str]]:
    rows = rawsql.fetch(
        f"SELECT channel, {rawsql.columns(OptOut, ['to'])} FROM {rawsql.table(OptOut)} "  # noqa: S608
        "WHERE borrower_id = %s ORDER BY id",
        [borrower.id],
    )
    return [
        {"channel": channel, "to": normalise_to(to, channel=channel, region=borrower.region)} for channel, to in rows
    ]


def _has_active_plan(borrower_id: int) -> bool:
    # Looked up by name: repayment_plans builds on compliance, not the other way round.
    plan = apps.get_model("repayment_plans", "Plan")
    case = apps.get_model("cases", "Case")
    row = rawsql.fetch_one(
        f"SELECT 1 FROM {rawsql.table(plan)} p JOIN {rawsql.table(case)} c ON c.id = p.case_id "  # noqa: S608
        "WHERE c.borrower_id = %s AND p.status IN ('active', 'approved') LIMIT 1",
        [borrower_id],
    )
    return row is not None


def _third_party_facts(third_party: ThirdParty, at: dt.datetime) -> dict[str, Any]:
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END), 0), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN direction = %s THEN 1 ELSE 0 END), 0) "
        f"FROM {rawsql.table(ContactAttempt)} WHERE third_party_id = %s AND at < %s"
    )
    refused, outbound = rawsql.fetch_one(sql, [Direction.OUTBOUND, third_party.pk, at])
    return {"id": third_party.pk, "refused": bool(refused), "prior_outbound": int(outbound)}


def build_action(
    *,
    channel: str,
    party: str,
    to: str,
    third_party: ThirdParty | None,
    loan: Loan | None,
    case_id: int | None,
    at: dt.datetime,
    message: str,
    collectors: int | None,
    autodialed: bool,
    consented: bool,
    at_work: bool,
    direction: str = "outbound",
) -> dict[str, Any]:
    return {
        "channel": channel,
        "party": party,
        "to": to,
        "third_party_id": third_party.pk if third_party else None,
        "loan_id": loan.pk if loan else None,
        "case_id": case_id,
        "at": at.astimezone(dt.UTC).isoformat(),
        "message": message or "",
        "collectors": collectors,
        "autodialed": bool(autodialed),
        "consented": bool(consented),
        "at_work": bool(at_work),
        "direction": direction,
    }


def gather_facts(
    *,
    borrower: LockedBorrower,
    action: dict[str, Any],
    third_party: ThirdParty | None,
    loan: Loan | None,
    packs: list[str],
    history_days: int,
    last_calls: int,
) -> dict[str, Any]:
    at = dt.datetime.fromisoformat(action["at"])
    channel, to = action["channel"], action["to"]
    zones, sources = candidate_zones(borrower_tz=borrower.timezone, region=borrower.region, channel=channel, to=to)
    primary = primary_zone(borrower_tz=borrower.timezone, region=borrower.region) or (zones[0] if zones else None)
    count_zone = primary or "UTC"
    today = local_day(at, count_zone)

    phones, emails = borrower.phones, borrower.emails
    kinds: dict[str, str] = {}
    for phone in phones:
        kinds[normalise_to(phone["number"], channel="call", region=borrower.region)] = phone["kind"]
    for email in emails:
        kinds[email["address"].lower()] = email["kind"]

    target: dict[str, Any] = {"to": to, "known": to in kinds}
    if channel in ("call", "sms") and to:
        phone = next(
            (p for p in phones if normalise_to(p["number"], channel="call", region=borrower.region) == to), None
        )
        kind = phone["kind"] if phone else _phone_kind_of_unknown(to)
        target.update(
            kind=kind,
            is_mobile=kind == "mobile",
            autodial_consent=bool(phone and phone["autodial_consent"]),
            work_contact_prohibited=bool(phone and phone["work_contact_prohibited"]),
        )
    elif channel == "email" and to:
        target["kind"] = kinds.get(to, "personal")

    # The log is read from the start of the oldest local day any window can reach, up to the action's
    # time: a report after the fact is judged on the history before it. Pending reservations a few
    # minutes later count too: they are concurrent actions whose clocks ran slightly ahead, and
    # leaving them out would let two callers race past a cap.
    since = start_of_local_day(today - dt.timedelta(days=history_days), count_zone)
    history = [
        {
            "id": c["id"],
            "at": c["at"].astimezone(dt.UTC).isoformat(),
            "channel": c["channel"],
            "direction": c["direction"],
            "party": c["party"],
            "third_party_id": c["third_party_id"],
            "to": c["to"],
            "to_kind": kinds.get(c["to"], ""),
            "at_work": c["at_work"],
            "loan_id": c["loan_id"],
            "outcome": c["outcome"],
            "consented": c["consented"],
        }
        for c in _read_log(borrower.id, since, at)
    ]

    facts: dict[str, Any] = {
        "version": FACTS_VERSION,
        "lexicon_version": lexicon.LEXICON_VERSION,
        "packs": packs,
        "borrower": {
            "id": borrower.id,
            "external_id": borrower.external_id,
            "region": borrower.region,
            "timezone": borrower.timezone,
            "vulnerabilities": borrower.effective_vulnerabilities(on=today),
            "has_active_plan": _has_active_plan(borrower.id),
            "phones": [dict(p) for p in phones],
            "emails": [dict(e) for e in emails],
        },
        "zones": {
            "candidates": zones,
            "sources": sources,
            "primary": primary,
            "local_times": {z: at.astimezone(tz(z)).isoformat() for z in zones},
            "local_day": today.isoformat(),
        },
        "target": target,
        "holds": _holds(borrower.id, at),
        "opt_outs": _opt_outs(borrower),
        "loan": {
            "id": loan.pk,
            "external_id": loan.external_id,
            "statute_limitations_date": loan.statute_limitations_date.isoformat()
            if loan.statute_limitations_date
            else None,
        }
        if loan
        else None,
        "borrower_last_calls": _last_call_outcomes(borrower.id, at, last_calls),
        "history": history,
    }
    if third_party is not None:
        facts["third_party"] = _third_party_facts(third_party, at)
    return facts
