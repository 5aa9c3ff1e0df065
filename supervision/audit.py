"""The audit trail: every contact and every decision that wrote no contact, filtered, in one list.

Both halves are `values()` querysets with the same columns, combined with UNION ALL, so the page,
its count and the CSV export are each one SQL statement whatever the filters.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import BooleanField, CharField, F, IntegerField, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from accounts.models import Agency, Team, User
from borrowers.models import Channel
from compliance.models import Decision
from compliance.rule_names import rule_name
from contacts.models import ActorKind, ContactAttempt, Direction, Outcome, Party

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


RESULT_LABELS: dict[str, Promise] = {
    Result.ALLOWED: _l("Allowed"),
    Result.BLOCKED: _l("Blocked"),
    Result.OVERRIDDEN: _l("Overridden"),
    Result.NOT_GATED: _l("Not gated"),
}
KIND_LABELS: dict[str, Promise] = {"contact": _l("Contact"), "decision": _l("Decision")}
# The coded columns and the labels of their values (a value with no label is shown as it is).
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "r_kind": KIND_LABELS,
    "r_channel": dict(Channel.choices),
    "r_direction": dict(Direction.choices),
    "r_party": dict(Party.choices),
    "r_actor_kind": dict(ActorKind.choices),
    "r_outcome": dict(Outcome.choices),
}


def present(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the page and the export show it: the result and the rule codes spelt out, and the
    labels of the coded values in the active language (`labels`, `result_label`, `rule_names`)."""
    codes = _codes(row["r_reasons"]) or _codes(row["r_override_reasons"])
    result = result_of(row)
    labels = {key: str(VALUE_LABELS[key].get(row[key], row[key])) if row[key] else "" for key in VALUE_LABELS}
    return row | {
        "result": result,
        "result_label": str(RESULT_LABELS[result]),
        "rule_codes": codes,
        "rule_names": [rule_name(code) for code in codes],
        "labels": labels,
    }


# The export's columns: a header in the reader's language, and the cell of a presented row.
CSV_COLUMNS: list[tuple[Promise, Callable[[dict[str, Any]], Any]]] = [
    (_l("Record"), lambda r: r["labels"]["r_kind"]),
    (_l("Contact ID"), lambda r: r["r_contact"]),
    (_l("Decision ID"), lambda r: r["r_decision"]),
    (_l("Time (UTC)"), lambda r: r["r_at"].astimezone(dt.UTC).isoformat() if r["r_at"] else ""),
    (_l("Borrower ID"), lambda r: r["r_borrower"]),
    (_l("Borrower external ID"), lambda r: r["r_borrower_ext"]),
    (_l("Borrower"), lambda r: r["r_borrower_name"]),
    (_l("Case ID"), lambda r: r["r_case"]),
    (_l("Channel"), lambda r: r["labels"]["r_channel"]),
    (_l("Direction"), lambda r: r["labels"]["r_direction"]),
    (_l("Party"), lambda r: r["labels"]["r_party"]),
    (_l("Number or address"), lambda r: r["r_to"]),
    (_l("Actor type"), lambda r: r["labels"]["r_actor_kind"]),
    (_l("Actor"), lambda r: r["r_actor"]),
    (_l("Team"), lambda r: r["r_team"]),
    (_l("Agency"), lambda r: r["r_agency"]),
    (_l("Result"), lambda r: r["result_label"]),
    (_l("Dry run"), lambda r: _("Yes") if r["r_dry_run"] else ""),
    (_l("Overrides decision"), lambda r: r["r_override_of"]),
    (_l("Rules"), lambda r: "; ".join(r["rule_names"])),
    (_l("Rule codes"), lambda r: " ".join(r["rule_codes"])),
    (_l("Outcome"), lambda r: r["labels"]["r_outcome"]),
    (_l("Duration (s)"), lambda r: r["r_duration"]),
    (_l("Notes"), lambda r: r["r_notes"]),
]
# Excel reads a CSV file as UTF-8 only when it starts with the byte order mark.
BOM = "\ufeff"


def _cell(value: Any) -> str:
    """Plain text for a spreadsheet: a note typed by a collector that starts with = + - @ would
    otherwise run as a formula when the export is opened (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: QuerySet, *, language: str | None = None) -> Iterator[str]:
    """CSV text, one line at a time, reading the rows in chunks (a server-side cursor on PostgreSQL):
    a UTF-8 byte order mark, then headers and coded values in `language` (the reader's; the generator
    runs after the view has returned, so it sets the language itself)."""
    writer = csv.writer(_Echo())
    with translation.override(language or translation.get_language()):
        yield BOM + writer.writerow([str(header) for header, _cell_of in CSV_COLUMNS])
        for raw in rows.iterator(chunk_size=2000):
            row = present(raw)
            yield writer.writerow([_cell(cell_of(row)) for _header, cell_of in CSV_COLUMNS])
