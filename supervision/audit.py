"""The audit trail: every contact and every decision that wrote no contact, filtered, in one list.

Both halves are `values()` querysets with the same columns, combined with UNION ALL, so the page,
its count and the CSV export are each one SQL statement whatever the filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, CharField, F, IntegerField, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast

from accounts.models import Agency, Team, User
from compliance.models import Decision
from contacts.models import ContactAttempt

_QS = TypeVar("_QS", bound=QuerySet[Any])


class Result:
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    OVERRIDDEN = "overridden"
    NOT_GATED = "not_gated"  # inbound contacts: recorded, never judged


@dataclass
class AuditFilters:
    collector: User | None = None
    agency: Agency | None = None
    team: Team | None = None
    channel: str = ""
    outcome: str = ""
    result: str = ""
    rule: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    borrower: str = ""
    zone: str = "UTC"


# The columns of one audit row, in UNION order. Every one is an annotation (r_*) so that both halves
# select the same names in the same order.
COLUMNS: tuple[str, ...] = (
    "r_kind",
    "r_contact",
    "r_decision",
    "r_at",
    "r_borrower",
    "r_borrower_ext",
    "r_borrower_name",
    "r_case",
    "r_channel",
    "r_direction",
    "r_party",
    "r_to",
    "r_actor_kind",
    "r_actor",
    "r_team",
    "r_agency",
    "r_allowed",
    "r_dry_run",
    "r_override_of",
    "r_reasons",
    "r_override_reasons",
    "r_outcome",
    "r_duration",
    "r_notes",
)


def _contact_rows(qs: QuerySet[ContactAttempt]) -> QuerySet:
    return qs.annotate(
        r_kind=Value("contact", output_field=CharField()),
        r_contact=F("id"),
        r_decision=F("decision_id"),
        r_at=F("at"),
        r_borrower=F("borrower_id"),
        r_borrower_ext=F("borrower__external_id"),
        r_borrower_name=F("borrower__full_name"),
        r_case=F("case_id"),
        r_channel=F("channel"),
        r_direction=F("direction"),
        r_party=F("party"),
        r_to=F("to"),
        r_actor_kind=F("actor_kind"),
        r_actor=F("actor_user__username"),
        r_team=F("actor_user__team__name"),
        r_agency=F("actor_user__agency__name"),
        r_allowed=F("decision__allowed"),
        r_dry_run=Value(False, output_field=BooleanField()),
        r_override_of=F("decision__override_of_id"),
        r_reasons=Cast("decision__reasons", TextField()),
        r_override_reasons=Cast("decision__override_of__reasons", TextField()),
        r_outcome=F("outcome"),
        r_duration=F("duration_s"),
        r_notes=F("notes"),
    ).values(*COLUMNS)


def _decision_rows(qs: QuerySet[Decision]) -> QuerySet:
    return qs.annotate(
        r_kind=Value("decision", output_field=CharField()),
        r_contact=Value(None, output_field=IntegerField()),
        r_decision=F("id"),
        r_at=F("at"),
        r_borrower=F("borrower_id"),
        r_borrower_ext=F("borrower__external_id"),
        r_borrower_name=F("borrower__full_name"),
        r_case=F("case_id"),
        r_channel=F("channel"),
        r_direction=Value("outbound", output_field=CharField()),
        r_party=F("party"),
        r_to=F("to"),
        r_actor_kind=F("actor_kind"),
        r_actor=F("actor_user__username"),
        r_team=F("actor_user__team__name"),
        r_agency=F("actor_user__agency__name"),
        r_allowed=F("allowed"),
        r_dry_run=F("dry_run"),
        r_override_of=F("override_of_id"),
        r_reasons=Cast("reasons", TextField()),
        r_override_reasons=Cast("override_of__reasons", TextField()),
        r_outcome=Value("", output_field=CharField()),
        r_duration=Value(None, output_field=IntegerField()),
        r_notes=Value("", output_field=TextField()),
    ).values(*COLUMNS)


def _with_rule(qs: _QS, prefixes: tuple[str, ...], code: str) -> _QS:
    """Rows whose decision (or the decision it overrode) failed rule `code`."""
    if connection.vendor == "postgresql":
        q = Q()
        for prefix in prefixes:
            q |= Q(**{f"{prefix}reasons__contains": [{"code": code}]})
        return qs.filter(q)
    # SQLite has no JSON containment: match the "code" member in the stored JSON text instead.
    names = {f"_reasons{i}": Cast(f"{prefix}reasons", TextField()) for i, prefix in enumerate(prefixes)}
    q = Q()
    for name in names:
        q |= Q(**{f"{name}__contains": f'"code": "{code}"'})
    return qs.annotate(**names).filter(q)


def _local_bounds(filters: AuditFilters) -> tuple[dt.datetime | None, dt.datetime | None]:
    zone = zoneinfo.ZoneInfo(filters.zone)
    start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone) if filters.date_from else None
    end = (
        dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if filters.date_to
        else None
    )
    return start, end


def _common(filters: AuditFilters) -> Q:
    """Filters that mean the same on contacts and decisions (both have these columns)."""
    q = Q()
    if filters.collector:
        q &= Q(actor_user=filters.collector)
    if filters.agency:
        q &= Q(actor_user__agency=filters.agency)
    if filters.team:
        q &= Q(actor_user__team=filters.team)
    if filters.channel:
        q &= Q(channel=filters.channel)
    start, end = _local_bounds(filters)
    if start:
        q &= Q(at__gte=start)
    if end:
        q &= Q(at__lt=end)
    if filters.borrower:
        term = filters.borrower.strip()
        borrower_q = Q(borrower__external_id__iexact=term) | Q(borrower__full_name__icontains=term)
        if term.isdigit():
            borrower_q |= Q(borrower_id=int(term))
        q &= borrower_q
    return q


def audit_rows(filters: AuditFilters, *, user: Any) -> QuerySet:
    """The filtered audit trail, newest first: a UNION ALL of contacts and contact-less decisions, of the
    records `user` may see (`visible_to`: the page and its CSV export show the same rows)."""
    common = _common(filters)
    contacts = ContactAttempt.objects.visible_to(user).filter(common)
    # Decisions that wrote a contact appear through their contact; the rest are blocks and dry runs.
    decisions = Decision.objects.visible_to(user).filter(common, contact__isnull=True)

    if filters.outcome:
        contacts = contacts.filter(outcome=filters.outcome)
        decisions = decisions.none()
    if filters.result == Result.ALLOWED:
        contacts = contacts.filter(decision__allowed=True, decision__override_of__isnull=True)
        decisions = decisions.filter(allowed=True, override_of__isnull=True)
    elif filters.result == Result.BLOCKED:
        # A blocked action has no contact; an overridden block shows as its override (below).
        contacts = contacts.none()
        decisions = decisions.filter(allowed=False)
    elif filters.result == Result.OVERRIDDEN:
        contacts = contacts.filter(decision__override_of__isnull=False)
        decisions = decisions.filter(override_of__isnull=False)
    elif filters.result == Result.NOT_GATED:
        contacts = contacts.filter(decision__isnull=True)
        decisions = decisions.none()
    if filters.rule:
        contacts = _with_rule(contacts, ("decision__", "decision__override_of__"), filters.rule)
        decisions = _with_rule(decisions, ("", "override_of__"), filters.rule)
    combined = _contact_rows(contacts.order_by()).union(_decision_rows(decisions.order_by()), all=True)
    # NULLs last explicitly: PostgreSQL and SQLite disagree on where NULL sorts in descending order.
    return combined.order_by(
        F("r_at").desc(), F("r_contact").desc(nulls_last=True), F("r_decision").desc(nulls_last=True)
    )


# --- presentation ----------------------------------------------------------------------------------------


def _codes(reasons_json: str | None) -> list[str]:
    if not reasons_json:
        return []
    try:
        return [r.get("code", "") for r in json.loads(reasons_json)]
    except (ValueError, AttributeError, TypeError):
        return []


def result_of(row: dict[str, Any]) -> str:
    if row["r_allowed"] is None:
        return Result.NOT_GATED
    if row["r_override_of"]:
        return Result.OVERRIDDEN
    return Result.ALLOWED if row["r_allowed"] else Result.BLOCKED


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the page and the export show it: the result and the rule codes spelt out."""
    codes = _codes(row["r_reasons"]) or _codes(row["r_override_reasons"])
    return row | {"result": result_of(row), "rule_codes": codes}


CSV_HEADER = [
    "kind",
    "contact_id",
    "decision_id",
    "at_utc",
    "borrower_id",
    "borrower_external_id",
    "borrower_name",
    "case_id",
    "channel",
    "direction",
    "party",
    "to",
    "actor_kind",
    "actor",
    "team",
    "agency",
    "result",
    "dry_run",
    "override_of",
    "rule_codes",
    "outcome",
    "duration_s",
    "notes",
]


def _cell(value: Any) -> str:
    """Plain text for a spreadsheet: a note typed by a collector that starts with = + - @ would
    otherwise run as a formula when the export is opened (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet) -> Iterator[str]:
    """CSV text, one line at a time, reading the rows in chunks (a server-side cursor on PostgreSQL)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for raw in rows.iterator(chunk_size=2000):
        row = present(raw)
        at = row["r_at"].astimezone(dt.UTC).isoformat() if row["r_at"] else ""
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    row["r_kind"],
                    row["r_contact"],
                    row["r_decision"],
                    at,
                    row["r_borrower"],
                    row["r_borrower_ext"],
                    row["r_borrower_name"],
                    row["r_case"],
                    row["r_channel"],
                    row["r_direction"],
                    row["r_party"],
                    row["r_to"],
                    row["r_actor_kind"],
                    row["r_actor"],
                    row["r_team"],
                    row["r_agency"],
                    row["result"],
                    "yes" if row["r_dry_run"] else "",
                    row["r_override_of"],
                    " ".join(row["rule_codes"]),
                    row["r_outcome"],
                    row["r_duration"],
                    row["r_notes"],
                )
            ]
        )
