"""Gather what the rules need about one borrower and one action into a JSON-serialisable dict.

The dict is stored on the decision as it is, so everything a rule reads must come from here: the
candidate zones, holds, opt-outs, the target number or address, and the recent contact log (not just
counts, so that replay and next_allowed_at can recount windows without the database).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

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
from .models import Decision, EvidenceHead, ValidationNotice

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


class LogEntry(NamedTuple):
    """One contact of the log, as the rules read it."""

    id: int
    at: dt.datetime
    channel: str
    direction: str
    party: str
    third_party_id: int | None
    to: str
    at_work: bool
    loan_id: int | None
    outcome: str
    consented: bool


# The contact-log columns the rules read (the workspace gathers the same in bulk).
LOG_FIELDS = LogEntry._fields


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
    log: list[LogEntry] = field(default_factory=list)
    last_call_outcomes: list[str] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    opt_outs: list[dict[str, str]] = field(default_factory=list)
    has_active_plan: bool = False
    # The borrower's named inconvenient windows (Borrower.inconvenient_times).
    inconvenient_times: list[dict[str, Any]] = field(default_factory=list)
    # Regulation F validation notices: the case of each (a first communication schedules one per case),
    # and those disputed inside their period with no verification recorded yet.
    validation_cases: set[int] = field(default_factory=set)
    validation_disputes: list[dict[str, Any]] = field(default_factory=list)
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


def last_call_outcomes(log: list[LogEntry], at: dt.datetime, limit: int) -> list[str]:
    """Outcomes of the latest `limit` outbound calls to the borrower before `at`, newest first."""
    calls = [
        c.outcome
        for c in reversed(log)
        if c.at < at and c.channel == "call" and c.direction == Direction.OUTBOUND and c.party == "borrower"
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
    "inconvenient_times",
)


def _borrower_select(where: str) -> str:
    return (
        f"SELECT {rawsql.columns(Borrower, _BORROWER_COLUMNS, 'b')}, p.default_jurisdiction "  # noqa: S608
        f"FROM {rawsql.table(Borrower)} b JOIN {rawsql.table(Platform)} p ON p.id = b.platform_id WHERE {where}"
    )


def _locked_state(row: tuple[Any, ...]) -> BorrowerState:
    bid, platform_id, external_id, region, zone, vulnerabilities, dob, address, inconvenient, jurisdiction = row
    return BorrowerState(
        id=bid,
        platform_id=platform_id,
        external_id=external_id,
        region=region,
        timezone=zone,
        vulnerabilities=rawsql.as_json(vulnerabilities) or [],
        date_of_birth=rawsql.as_date(dob),
        address=address,
        inconvenient_times=rawsql.as_json(inconvenient) or [],
        default_jurisdiction=jurisdiction,
    )


def lock_borrower(borrower_id: int) -> BorrowerState:
    """Lock the borrower's row (only that row, not the platform joined for its default jurisdiction).

    Plain SQL: this is the gate's hot path (see core.rawsql). SQLite has no row locks; it
    serialises writers itself.
    """
    lock = " FOR UPDATE OF b" if connection.features.has_select_for_update_of else ""
    row = rawsql.fetch_one(_borrower_select(f"b.id = %s{lock}"), [borrower_id])
    if row is None:
        raise Borrower.DoesNotExist(f"Borrower {borrower_id} does not exist.")
    return _locked_state(row)


def lock_borrowers(borrower_ids: list[int]) -> dict[int, BorrowerState]:
    """Lock several borrowers' rows in one statement, in id order (PostgreSQL locks the rows as the
    sorted plan hands them out, so two batches over the same borrowers cannot deadlock)."""
    ids = sorted(set(borrower_ids))
    lock = " FOR UPDATE OF b" if connection.features.has_select_for_update_of else ""
    marks = ", ".join(["%s"] * len(ids))
    rows = rawsql.fetch(_borrower_select(f"b.id IN ({marks}) ORDER BY b.id{lock}"), ids)
    states = {row[0]: _locked_state(row) for row in rows}
    missing = [bid for bid in ids if bid not in states]
    if missing:
        raise Borrower.DoesNotExist(f"Borrower {missing[0]} does not exist.")
    return states


def state_from_models(
    borrower: Borrower,
    *,
    contacts: list[ContactAttempt],
    holds: list[Hold],
    has_active_plan: bool,
    at: dt.datetime,
    last_calls: int,
    validation_notices: list[ValidationNotice] | None = None,
) -> BorrowerState:
    """The state of a borrower loaded with the ORM (phones, e-mails, opt-outs prefetched, platform
    joined; the contact log from the same window read_state reads, oldest first): the workspace's
    preview judges with the gate's own facts without a query per row."""
    log = [LogEntry._make(getattr(c, name) for name in LOG_FIELDS) for c in contacts]
    return BorrowerState(
        id=borrower.pk,
        platform_id=borrower.platform_id,
        external_id=borrower.external_id,
        region=borrower.region,
        timezone=borrower.timezone,
        vulnerabilities=list(borrower.vulnerabilities or []),
        date_of_birth=borrower.date_of_birth,
        address=borrower.address,
        inconvenient_times=list(borrower.inconvenient_times or []),
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
        validation_cases={n.case_id for n in validation_notices or []},
        validation_disputes=[
            validation_dispute_fact(n.pk, n.loan_id, n.disputed_at, n.verified_at)
            for n in validation_notices or []
            if n.disputed_at is not None and n.verified_at is None
        ],
    )


def validation_dispute_fact(
    notice_id: int, loan_id: int | None, disputed_at: dt.datetime, verified_at: dt.datetime | None
) -> dict[str, Any]:
    return {
        "id": notice_id,
        "loan_id": loan_id,
        "disputed_at": disputed_at.astimezone(dt.UTC).isoformat(),
        "verified_at": verified_at.astimezone(dt.UTC).isoformat() if verified_at else None,
    }


# --- the state statement -------------------------------------------------------------------------------
#
# Everything the gate reads after the lock is one statement: eight were ~2 ms of a 5 ms budget in round
# trips alone. It is a UNION ALL of parts whose rows differ in shape. Each part names its fields and
# their types; the statement lays the fields out in columns shared by type (a part's first text field in
# the first text column, and so on) behind a tag naming the part, and each row is read back as its
# part's named tuple. The first part fixes every column's type for PostgreSQL (a NULL of its own is cast
# there; a later part's NULL takes the column's type, and no subquery selects a NULL of its own, which
# PostgreSQL would type text). Parameters are named: %(borrower)s, %(since)s, %(at)s, ...

INT, TIMESTAMP, TEXT, BOOL = "BIGINT", "TIMESTAMP WITH TIME ZONE", "VARCHAR", "BOOLEAN"
_TYPES = (INT, TIMESTAMP, TEXT, BOOL)


@dataclass(frozen=True)
class _Part:
    """One branch of the statement: its fields (name -> (type, SQL expression)), the rest of its
    SELECT (FROM and WHERE, or a WHERE alone) and, when not one made of its fields' names, the named
    tuple its rows are read into."""

    name: str
    fields: dict[str, tuple[str, str]]
    source: str = ""
    row: type | None = None
    # The batched statement (read_states, PostgreSQL): the borrower each row is of, and the source when
    # it is not this one's with `borrower_id = ANY(%(borrowers)s)` for `borrower_id = %(borrower)s`.
    key: str = "borrower_id"
    batch_source: str = ""

    def batched(self) -> _Part:
        source = self.batch_source or self.source.replace(_ONE, _MANY)
        assert _ONE not in source  # every branch reads the batch's borrowers
        return _Part(self.name, {"_key": (INT, self.key), **self.fields}, source, self.row or self.row_type())

    def row_type(self) -> type:
        return self.row or namedtuple(f"{self.name}_row", self.fields)


_ONE, _MANY = "borrower_id = %(borrower)s", "borrower_id = ANY(CAST(%(borrowers)s AS BIGINT[]))"


def _columns(**types: str) -> dict[str, tuple[str, str]]:
    """Fields read from the columns of the same name."""
    return {name: (sql_type, connection.ops.quote_name(name)) for name, sql_type in types.items()}


def _log_part() -> _Part:
    """The contact log from `since` (wide enough for any zone's windows) up to `at`, and pending
    reservations a few minutes later: concurrent actions whose clocks ran slightly ahead."""
    types = {"id": INT, "at": TIMESTAMP, "third_party_id": INT, "loan_id": INT, "at_work": BOOL, "consented": BOOL}
    return _Part(
        "log",
        _columns(**{name: types.get(name, TEXT) for name in LOG_FIELDS}),
        f"FROM {rawsql.table(ContactAttempt)} WHERE borrower_id = %(borrower)s AND at >= %(since)s"
        " AND (at <= %(at)s OR (outcome = '' AND direction = 'outbound' AND at <= %(pending_until)s))",
        row=LogEntry,
    )


def _last_calls_part() -> _Part:
    """The latest outbound calls to the borrower before `at` (the CN third-party rule reads their outcomes)."""
    calls = (
        f"SELECT id, at, outcome FROM {rawsql.table(ContactAttempt)}"  # noqa: S608 - the model's table
        " WHERE borrower_id = {} AND channel = 'call' AND at < %(at)s AND direction = 'outbound'"
        " AND party = 'borrower' ORDER BY at DESC, id DESC LIMIT %(last_calls)s"
    )
    return _Part(
        "last_call",
        _columns(id=INT, at=TIMESTAMP, outcome=TEXT),
        f"FROM ({calls.format('%(borrower)s')}) AS last_calls",
        key="bb.bid",
        # The latest calls of each borrower of the batch.
        batch_source=f"FROM unnest(CAST(%(borrowers)s AS BIGINT[])) AS bb(bid) CROSS JOIN LATERAL ({calls.format('bb.bid')}) AS last_calls",
    )


def _holds_part() -> _Part:
    """Holds not ended by `at` (the rules compare each one's start with the action's time)."""
    return _Part(
        "hold",
        _columns(id=INT, kind=TEXT, loan_id=INT, starts_at=TIMESTAMP, ends_at=TIMESTAMP),
        f"FROM {rawsql.table(Hold)} WHERE borrower_id = %(borrower)s AND (ends_at IS NULL OR ends_at > %(at)s)",
    )


def _opt_outs_part() -> _Part:
    return _Part(
        "opt_out",
        _columns(id=INT, channel=TEXT, to=TEXT),
        f"FROM {rawsql.table(OptOut)} WHERE borrower_id = %(borrower)s",
    )


def _validation_part() -> _Part:
    """The borrower's validation notices (one per case; few): which cases have one, and which were
    disputed inside their period with no verification recorded."""
    return _Part(
        "validation",
        _columns(id=INT, case_id=INT, loan_id=INT, disputed_at=TIMESTAMP, verified_at=TIMESTAMP),
        f"FROM {rawsql.table(ValidationNotice)} WHERE borrower_id = %(borrower)s",
    )


def _active_plan_part() -> _Part:
    """One row, without fields, when a plan of the borrower is active or approved."""
    plan, case = rawsql.table(apps.get_model("repayment_plans", "Plan")), rawsql.table(apps.get_model("cases", "Case"))
    exists = (
        f"EXISTS (SELECT 1 FROM {plan} p JOIN {case} c ON c.id = p.case_id"  # noqa: S608 - the models' tables
        " WHERE c.borrower_id = {} AND p.status IN ('active', 'approved'))"
    )
    return _Part(
        "active_plan",
        {},
        f"WHERE {exists.format('%(borrower)s')}",
        key="ap.bid",
        batch_source=f"FROM unnest(CAST(%(borrowers)s AS BIGINT[])) AS ap(bid) WHERE {exists.format('ap.bid')}",
    )


def _evidence_head_part() -> _Part:
    return _Part(
        "evidence_head",
        _columns(seq=INT, chain_hash=TEXT),
        f"FROM {rawsql.table(EvidenceHead)} WHERE borrower_id = %(borrower)s",
    )


def _phones_part() -> _Part:
    fields = _columns(
        id=INT, number=TEXT, kind=TEXT, invalid=BOOL, autodial_consent=BOOL, work_contact_prohibited=BOOL, position=INT
    )
    return _Part("phone", fields, f"FROM {rawsql.table(Phone)} WHERE borrower_id = %(borrower)s")


def _emails_part() -> _Part:
    fields = _columns(id=INT, address=TEXT, kind=TEXT, invalid=BOOL, position=INT)
    return _Part("email", fields, f"FROM {rawsql.table(Email)} WHERE borrower_id = %(borrower)s")


def _reserved_ids_part() -> _Part:
    """PostgreSQL: ids drawn for the decision and its contact, so that both are written in one
    statement (a blocked decision leaves a gap in the contacts' ids)."""
    seq = "nextval(pg_get_serial_sequence('{}', 'id'))"
    return _Part(
        "reserved_ids",
        {
            "decision_id": (INT, seq.format(Decision._meta.db_table)),
            "contact_id": (INT, seq.format(ContactAttempt._meta.db_table)),
        },
        key="0",
        # A pair for every action of the batch (borrower 0: of none).
        batch_source="FROM generate_series(1, %(reserve)s)",
    )


Picker = Callable[[tuple[Any, ...]], tuple[Any, ...]]


def _picker(columns: tuple[int, ...]) -> Picker:
    """The values at `columns` of a row, as a tuple (in C with itemgetter: it runs for every row, and the
    gate's budget is a few milliseconds)."""
    if len(columns) > 1:
        return operator.itemgetter(*columns)
    return lambda row: tuple(row[i] for i in columns)


@dataclass(frozen=True)
class _StateStatement:
    sql: str
    # By tag: each part's name, the named tuple its rows are read into, and what picks its fields.
    readers: tuple[tuple[str, type, Picker], ...]
    # PostgreSQL hands back datetimes and booleans; SQLite text and 0/1.
    native_values: bool
    # The batched statement: the column of the borrower each row is of.
    key_column: int | None = None

    def read(self, rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
        """The rows of each part, by part name, as the part's named tuples."""
        read: dict[str, list[Any]] = {name: [] for name, _row, _pick in self.readers}
        new = tuple.__new__  # what the named tuple's _make calls, without its length check
        for row in rows:
            name, row_type, pick = self.readers[row[0]]
            read[name].append(new(row_type, pick(row)))
        return read

    def read_keyed(self, rows: list[tuple[Any, ...]]) -> dict[int, dict[str, list[Any]]]:
        """The batched statement's rows: by borrower, each as `read` gives one borrower's."""
        assert self.key_column is not None
        by_key: dict[int, list[tuple[Any, ...]]] = {}
        key = self.key_column
        for row in rows:
            by_key.setdefault(row[key], []).append(row)
        return {k: self.read(part_rows) for k, part_rows in by_key.items()}


@cache
def _state_statement(vendor: str, batch: bool = False) -> _StateStatement:
    parts = [
        _log_part(),  # first: it fixes the columns' types
        _last_calls_part(),
        _holds_part(),
        _opt_outs_part(),
        _validation_part(),
        _active_plan_part(),
        _evidence_head_part(),
        _phones_part(),
        _emails_part(),
    ]
    if vendor == "postgresql":
        parts.append(_reserved_ids_part())
    if batch:
        # Each branch over every borrower of the batch, with the borrower's id as its first field: the same
        # branches, the same columns, read back into the same named tuples (read_states).
        assert vendor == "postgresql"
        parts = [part.batched() for part in parts]
    # The shared columns: after the tag, as many of each type as the widest part needs.
    widths = {t: max(sum(1 for sql_type, _e in p.fields.values() if sql_type == t) for p in parts) for t in _TYPES}
    slots = [(t, n) for t in _TYPES for n in range(widths[t])]
    position = {slot: 1 + i for i, slot in enumerate(slots)}
    selects, readers = [], []
    for tag, part in enumerate(parts):
        used: dict[str, int] = {}
        by_slot: dict[tuple[str, int], str] = {}
        columns = []
        for name, (sql_type, expression) in part.fields.items():
            slot = (sql_type, used.get(sql_type, 0))
            used[sql_type] = slot[1] + 1
            by_slot[slot] = expression
            if name != "_key":
                columns.append(position[slot])
        first = tag == 0
        values = [f"{tag}{' AS part' if first else ''}"]
        for slot in slots:
            value = by_slot.get(slot) or (f"CAST(NULL AS {slot[0]})" if first else "NULL")
            values.append(f"{value} AS c{position[slot]}" if first else value)
        selects.append(f"SELECT {', '.join(values)} {part.source}".rstrip())
        readers.append((part.name, part.row_type(), _picker(tuple(columns))))
    # The key is each batched part's first field, and INT the first type: always the first shared column.
    return _StateStatement(
        "\nUNION ALL\n".join(selects),
        tuple(readers),
        native_values=vendor == "postgresql",
        key_column=1 if batch else None,
    )


def read_state(borrower: BorrowerState, *, at: dt.datetime, history_days: int, last_calls: int) -> None:
    """Read, in one statement and after the lock was granted, the borrower's contact points, contact
    log, last calls, holds, opt-outs, active plan and evidence head into `borrower`.

    The log is read from a bound wide enough for any zone's local day (`history_days` + 2 days before
    `at`); gather_facts cuts each window exactly.
    """
    statement = _state_statement(connection.vendor)
    sql, params = state_read(borrower.id, at=at, history_days=history_days, last_calls=last_calls)
    read = statement.read(rawsql.fetch(sql, params))
    _apply_state(borrower, read, native_values=statement.native_values)
    for ids in read.get("reserved_ids", ()):
        borrower.reserved_ids = (ids.decision_id, ids.contact_id)


def state_read(borrower_id: int, *, at: dt.datetime, history_days: int, last_calls: int) -> tuple[str, dict[str, Any]]:
    """The state statement and its parameters for one borrower (the benchmark times it bare, as the
    floor of a decision: bench.gate)."""
    statement = _state_statement(connection.vendor)
    return statement.sql, {"borrower": borrower_id, **_window(at, history_days, last_calls)}


def _window(at: dt.datetime, history_days: int, last_calls: int) -> dict[str, Any]:
    return {
        "since": at - dt.timedelta(days=history_days + 2),
        "at": at,
        "pending_until": at + PENDING_SKEW,
        "last_calls": max(last_calls, 0),
    }


def read_states(
    borrowers: list[BorrowerState], *, at: dt.datetime, history_days: int, last_calls: int, reserve: int
) -> list[tuple[int, int]]:
    """The batched gate's read (PostgreSQL): `read_state` for several borrowers locked by
    `lock_borrowers`, in one statement, and `reserve` pairs of ids for decisions and their contacts.

    Every branch is read_state's own, over all the borrowers at once; each borrower's rows are put in
    its state by the same code. `history_days` and `last_calls` are the widest any of the borrowers'
    packs asks for (the caller cuts the last calls to each borrower's own number).
    """
    statement = _state_statement(connection.vendor, batch=True)
    params = {"borrowers": [b.id for b in borrowers], "reserve": reserve, **_window(at, history_days, last_calls)}
    by_borrower = statement.read_keyed(rawsql.fetch(statement.sql, params))
    empty = statement.read([])
    for borrower in borrowers:
        _apply_state(borrower, by_borrower.get(borrower.id, empty), native_values=True)
    return [(ids.decision_id, ids.contact_id) for ids in by_borrower.get(0, empty)["reserved_ids"]]


def _apply_state(borrower: BorrowerState, read: dict[str, list[Any]], *, native_values: bool) -> None:
    """Put what the state statement read of one borrower into its state."""
    # A UNION's rows come in no promised order: each part is put in its own here.
    log = read["log"]
    if not native_values:
        log = [
            c._replace(at=rawsql.as_datetime(c.at), at_work=bool(c.at_work), consented=bool(c.consented)) for c in log
        ]
    borrower.log = sorted(log, key=lambda c: (c.at, c.id))
    last = sorted([(rawsql.as_datetime(c.at), c.id, c.outcome) for c in read["last_call"]], reverse=True)
    borrower.last_call_outcomes = [outcome for _at, _id, outcome in last]
    holds = [
        h._replace(starts_at=rawsql.as_datetime(h.starts_at), ends_at=rawsql.as_datetime(h.ends_at))
        for h in read["hold"]
    ]
    borrower.holds = [
        hold_fact(h.id, h.kind, h.loan_id, h.starts_at, h.ends_at)
        for h in sorted(holds, key=lambda h: (-h.starts_at.timestamp(), h.id))
    ]
    borrower.opt_outs = [
        {"channel": o.channel, "to": normalise_to(o.to, channel=o.channel, region=borrower.region)}
        for o in sorted(read["opt_out"])
    ]
    borrower.has_active_plan = bool(read["active_plan"])
    borrower.validation_cases = {n.case_id for n in read["validation"]}
    borrower.validation_disputes = []
    for n in sorted(read["validation"], key=lambda n: n.id):
        disputed = rawsql.as_datetime(n.disputed_at)
        if disputed is not None and n.verified_at is None:
            borrower.validation_disputes.append(validation_dispute_fact(n.id, n.loan_id, disputed, None))
    for head in read["evidence_head"]:
        borrower.evidence_head = (head.seq, head.chain_hash)
    borrower.phones = [
        phone_fact(p.number, p.kind, p.invalid, p.autodial_consent, p.work_contact_prohibited)
        for p in sorted(read["phone"], key=lambda p: (p.position, p.id))
    ]
    borrower.emails = [
        email_fact(e.address, e.kind, e.invalid) for e in sorted(read["email"], key=lambda e: (e.position, e.id))
    ]


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
    outcome: str = "",
) -> dict[str, Any]:
    fact = {
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
    if outcome:
        # An outcome reported with the action (POST /contacts/ after the fact): the voicemail rule reads it.
        fact["outcome"] = outcome
    return fact


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
            "id": c.id,
            "at": c.at.astimezone(dt.UTC).isoformat(),
            "channel": c.channel,
            "direction": c.direction,
            "party": c.party,
            "third_party_id": c.third_party_id,
            "to": c.to,
            "to_kind": kinds.get(c.to, ""),
            "at_work": c.at_work,
            "loan_id": c.loan_id,
            "outcome": c.outcome,
            "consented": c.consented,
        }
        for c in borrower.log
        if c.at >= since
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
            "inconvenient_times": [dict(w) for w in borrower.inconvenient_times],
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
        "validation_disputes": [dict(n) for n in borrower.validation_disputes],
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
