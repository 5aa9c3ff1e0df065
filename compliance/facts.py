"""Gather what the rules need about one borrower and one action into a JSON-serialisable dict.

The dict is stored on the decision as it is, so everything a rule reads must come from here: the
candidate zones, holds, opt-outs, the target number or address, and the recent contact log (not just
counts, so that replay and next_allowed_at can recount windows without the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import phonenumbers
from django.apps import apps
from django.db import connection

from accounts.models import Platform
from borrowers.models import Borrower, Email, Hold, OptOut, Phone, ThirdParty, effective_vulnerabilities
from borrowers.validators import normalise_to
from borrowers.zones import candidate_zones, local_day, primary_zone, start_of_local_day, tz
from cases.models import Loan
from contacts.models import ContactAttempt, Direction
from core import rawsql

from . import lexicon
from .models import Decision, EvidenceHead

FACTS_VERSION = 1
PENDING_SKEW = dt.timedelta(minutes=5)


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
class BorrowerState:
    """A borrower with everything the rules (and the gate's writes) need about them: read under the
    gate's row lock (`lock_borrower`, `read_state`), or from rows the workspace loaded in bulk for a
    preview (`state_from_models`). gather_facts turns it into the facts of one action."""

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
    # The contact log from a bound wide enough for any window (each window is cut in gather_facts).
    log: list[dict[str, Any]] = field(default_factory=list)
    last_call_outcomes: list[str] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    opt_outs: list[dict[str, str]] = field(default_factory=list)
    has_active_plan: bool = False
    # (seq, chain_hash) of the evidence chain, None before its first link.
    evidence_head: tuple[int, str] | None = None
    # PostgreSQL: ids drawn for the decision and its contact, so both are written in one statement.
    reserved_ids: tuple[int, int] | None = None

    @property
    def pk(self) -> int:
        return self.id

    def effective_vulnerabilities(self, on: dt.date) -> list[str]:
        return effective_vulnerabilities(self.vulnerabilities, self.date_of_birth, on=on)


def phone_fact(number: str, kind: str, invalid: Any, autodial_consent: Any, work_contact_prohibited: Any) -> dict:
    return {
        "number": number,
        "kind": kind,
        "invalid": bool(invalid),
        "autodial_consent": bool(autodial_consent),
        "work_contact_prohibited": bool(work_contact_prohibited),
    }


def email_fact(address: str, kind: str, invalid: Any) -> dict:
    return {"address": address, "kind": kind, "invalid": bool(invalid)}


def hold_fact(
    hold_id: int, kind: str, loan_id: int | None, starts_at: dt.datetime, ends_at: dt.datetime | None
) -> dict:
    return {
        "id": hold_id,
        "kind": kind,
        "loan_id": loan_id,
        "starts_at": starts_at.astimezone(dt.UTC).isoformat(),
        "ends_at": ends_at.astimezone(dt.UTC).isoformat() if ends_at else None,
    }


def last_call_outcomes(log: list[dict[str, Any]], at: dt.datetime, limit: int) -> list[str]:
    """Outcomes of the latest `limit` outbound calls to the borrower before `at`, newest first."""
    calls = [
        c["outcome"]
        for c in reversed(log)
        if c["at"] < at and c["channel"] == "call" and c["direction"] == Direction.OUTBOUND and c["party"] == "borrower"
    ]
    return calls[: max(limit, 0)]


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


def lock_borrower(borrower_id: int) -> BorrowerState:
    """Lock the borrower's row (only that row, not the platform joined for its default jurisdiction).

    Plain SQL: this is the gate's hot path (see core.rawsql). SQLite has no row locks; it
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
    return BorrowerState(
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


def state_from_models(
    borrower: Borrower,
    *,
    contacts: list[ContactAttempt],
    holds: list[Hold],
    has_active_plan: bool,
    at: dt.datetime,
    last_calls: int,
) -> BorrowerState:
    """The state of a borrower loaded with the ORM (phones, e-mails, opt-outs prefetched, platform
    joined; the contact log from the same window read_state reads, oldest first): the workspace's
    preview judges with the gate's own facts without a query per row."""
    log = [{name: getattr(c, name) for name in LOG_FIELDS} for c in contacts]
    return BorrowerState(
        id=borrower.pk,
        platform_id=borrower.platform_id,
        external_id=borrower.external_id,
        region=borrower.region,
        timezone=borrower.timezone,
        vulnerabilities=list(borrower.vulnerabilities or []),
        date_of_birth=borrower.date_of_birth,
        address=borrower.address,
        default_jurisdiction=borrower.platform.default_jurisdiction,
        phones=[
            phone_fact(p.number, p.kind, p.invalid, p.autodial_consent, p.work_contact_prohibited)
            for p in borrower.phones.all()
        ],
        emails=[email_fact(e.address, e.kind, e.invalid) for e in borrower.emails.all()],
        log=log,
        last_call_outcomes=last_call_outcomes(log, at, last_calls),
        holds=[hold_fact(h.pk, h.kind, h.loan_id, h.starts_at, h.ends_at) for h in holds],
        opt_outs=[
            {"channel": o.channel, "to": normalise_to(o.to, channel=o.channel, region=borrower.region)}
            for o in borrower.opt_outs.all()
        ],
        has_active_plan=has_active_plan,
    )


# Parts of the state statement, in its first column.
_LOG, _LAST, _HOLD, _OPT_OUT, _PLAN, _HEAD, _PHONE, _EMAIL, _IDS = range(9)


@cache
def _state_sql(vendor: str) -> str:
    """One statement for everything the gate reads after the lock: a UNION ALL of differently shaped
    rows in 15 common columns, tagged by part. Eight statements were ~2 ms of a 5 ms budget in round
    trips alone. Typed NULLs in the first part fix each column's type for PostgreSQL; no subquery
    selects a NULL of its own (PostgreSQL would type it text)."""
    q = connection.ops.quote_name
    contacts, plan, case = (
        rawsql.table(ContactAttempt),
        rawsql.table(apps.get_model("repayment_plans", "Plan")),
        rawsql.table(apps.get_model("cases", "Case")),
    )
    ts = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"
    ids = ""
    if vendor == "postgresql":
        # Ids for the decision and its contact (a blocked decision leaves a gap in the contacts' ids).
        seq = "nextval(pg_get_serial_sequence('{}', 'id'))"
        decisions, contacts_seq = (seq.format(m._meta.db_table) for m in (Decision, ContactAttempt))
        ids = f"""UNION ALL
SELECT {_IDS}, {decisions}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, {contacts_seq}, NULL, NULL, NULL, NULL, NULL
"""
    return f"""
SELECT {_LOG} AS part, id, at, {ts} AS until, channel, direction, party, {q("to")}, outcome,
       third_party_id, loan_id, at_work, consented, CAST(NULL AS BOOLEAN) AS b3, CAST(NULL AS INTEGER) AS pos
  FROM {contacts}
 WHERE borrower_id = %s AND at >= %s AND (at <= %s OR (outcome = '' AND direction = 'outbound' AND at <= %s))
UNION ALL
SELECT {_LAST}, id, at, NULL, NULL, NULL, NULL, NULL, outcome, NULL, NULL, NULL, NULL, NULL, NULL FROM (
  SELECT id, at, outcome FROM {contacts}
   WHERE borrower_id = %s AND channel = 'call' AND at < %s AND direction = 'outbound' AND party = 'borrower'
   ORDER BY at DESC, id DESC LIMIT %s
) AS last_calls
UNION ALL
SELECT {_HOLD}, id, starts_at, ends_at, kind, NULL, NULL, NULL, NULL, NULL, loan_id, NULL, NULL, NULL, NULL
  FROM {rawsql.table(Hold)} WHERE borrower_id = %s AND (ends_at IS NULL OR ends_at > %s)
UNION ALL
SELECT {_OPT_OUT}, id, NULL, NULL, channel, NULL, NULL, {q("to")}, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM {rawsql.table(OptOut)} WHERE borrower_id = %s
UNION ALL
SELECT {_PLAN}, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
 WHERE EXISTS (
  SELECT 1 FROM {plan} p JOIN {case} c ON c.id = p.case_id
   WHERE c.borrower_id = %s AND p.status IN ('active', 'approved')
)
UNION ALL
SELECT {_HEAD}, seq, NULL, NULL, chain_hash, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM {rawsql.table(EvidenceHead)} WHERE borrower_id = %s
UNION ALL
SELECT {_PHONE}, id, NULL, NULL, number, kind, NULL, NULL, NULL, NULL, NULL, invalid, autodial_consent,
       work_contact_prohibited, {q("position")}
  FROM {rawsql.table(Phone)} WHERE borrower_id = %s
UNION ALL
SELECT {_EMAIL}, id, NULL, NULL, address, kind, NULL, NULL, NULL, NULL, NULL, invalid, NULL, NULL, {q("position")}
  FROM {rawsql.table(Email)} WHERE borrower_id = %s
{ids}"""  # noqa: S608 - table and column names are the models' own; values are parameters


def read_state(borrower: BorrowerState, *, at: dt.datetime, history_days: int, last_calls: int) -> None:
    """Read, in one statement and after the lock was granted, the borrower's contact points, contact
    log, last calls, holds, opt-outs, active plan and evidence head into `borrower`.

    The log is read from a bound wide enough for any zone's local day (`history_days` + 2 days before
    `at`); gather_facts cuts each window exactly.
    """
    since = at - dt.timedelta(days=history_days + 2)
    b = borrower.id
    params = [b, since, at, at + PENDING_SKEW, b, at, max(last_calls, 0), b, at, b, b, b, b, b]
    rows = rawsql.fetch(_state_sql(connection.vendor), params)
    phones, emails, last, holds, opt_outs = [], [], [], [], []
    for part, oid, at_, until, t1, t2, t3, to, outcome, n1, n2, b1, b2, b3, pos in rows:
        if part == _LOG:
            borrower.log.append(
                {
                    "id": oid,
                    "at": rawsql.as_datetime(at_),
                    "channel": t1,
                    "direction": t2,
                    "party": t3,
                    "third_party_id": n1,
                    "to": to,
                    "at_work": bool(b1),
                    "loan_id": n2,
                    "outcome": outcome,
                    "consented": bool(b2),
                }
            )
        elif part == _LAST:
            last.append((rawsql.as_datetime(at_), oid, outcome))
        elif part == _HOLD:
            holds.append(
                (
                    rawsql.as_datetime(at_),
                    oid,
                    hold_fact(oid, t1, n2, rawsql.as_datetime(at_), rawsql.as_datetime(until)),
                )
            )
        elif part == _OPT_OUT:
            opt_outs.append((oid, t1, to))
        elif part == _PLAN:
            borrower.has_active_plan = True
        elif part == _HEAD:
            borrower.evidence_head = (oid, t1)
        elif part == _PHONE:
            phones.append((pos, oid, phone_fact(t1, t2, b1, b2, b3)))
        elif part == _EMAIL:
            emails.append((pos, oid, email_fact(t1, t2, b1)))
        elif part == _IDS:
            borrower.reserved_ids = (oid, n1)
    # A UNION's rows come in no promised order: each part is put in its own here.
    borrower.log.sort(key=lambda c: (c["at"], c["id"]))
    borrower.last_call_outcomes = [outcome for _at, _id, outcome in sorted(last, reverse=True)]
    borrower.holds = [h for *_key, h in sorted(holds, key=lambda h: (-h[0].timestamp(), h[1]))]
    borrower.opt_outs = [
        {"channel": channel, "to": normalise_to(to, channel=channel, region=borrower.region)}
        for _id, channel, to in sorted(opt_outs)
    ]
    borrower.phones = [p for *_key, p in sorted(phones, key=lambda p: p[:2])]
    borrower.emails = [e for *_key, e in sorted(emails, key=lambda e: e[:2])]


def _third_party_facts(third_party: ThirdParty, at: dt.datetime) -> dict[str, Any]:
    sql = (
        "SELECT COALESCE(SUM(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END), 0), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN direction = %s THEN 1 ELSE 0 END), 0) "
        f"FROM {rawsql.table(ContactAttempt)} WHERE third_party_id = %s AND at < %s"
    )
    row = rawsql.fetch_one(sql, [Direction.OUTBOUND, third_party.pk, at])
    assert row is not None  # an aggregate without GROUP BY answers one row
    refused, outbound = row
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
    borrower: BorrowerState,
    action: dict[str, Any],
    third_party: ThirdParty | None,
    loan: Loan | None,
    packs: list[str],
    history_days: int,
) -> dict[str, Any]:
    """The facts of one action, from what `read_state` read under the lock (no queries but a third
    party's own log)."""
    at = dt.datetime.fromisoformat(action["at"])
    channel, to = action["channel"], action["to"]
    zones, sources = candidate_zones(borrower_tz=borrower.timezone, region=borrower.region, channel=channel, to=to)
    primary = primary_zone(borrower_tz=borrower.timezone, region=borrower.region) or (zones[0] if zones else None)
    count_zone = primary or "UTC"
    today = local_day(at, count_zone)

    phones, emails = borrower.phones, borrower.emails
    kinds: dict[str, str] = {}
    for listed in phones:
        kinds[normalise_to(listed["number"], channel="call", region=borrower.region)] = listed["kind"]
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
        for c in borrower.log
        if c["at"] >= since
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
            "has_active_plan": borrower.has_active_plan,
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
        "holds": [dict(h) for h in borrower.holds],
        "opt_outs": [dict(o) for o in borrower.opt_outs],
        "loan": {
            "id": loan.pk,
            "external_id": loan.external_id,
            "statute_limitations_date": loan.statute_limitations_date.isoformat()
            if loan.statute_limitations_date
            else None,
        }
        if loan
        else None,
        "borrower_last_calls": list(borrower.last_call_outcomes),
        "history": history,
    }
    if third_party is not None:
        facts["third_party"] = _third_party_facts(third_party, at)
    return facts
