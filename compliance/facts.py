"""Gather what the rules need about one borrower and one action into a JSON-serialisable dict.

The dict is stored on the decision as it is, so everything a rule reads must come from here: the
candidate zones, holds, opt-outs, the target number or address, and the recent contact log (not just
counts, so that replay and next_allowed_at can recount windows without the database).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import connections
from django.db.models import IntegerField, Q, QuerySet, Value

from borrowers.models import Borrower, Hold, ThirdParty
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


def _has_active_plan(borrower: Borrower) -> bool:
    """Repayment plans belong to another app that may not have its Plan model yet; without it, no
    borrower has an active plan."""
    try:
        plan_model = apps.get_model("repayment_plans", "Plan")
    except LookupError:
        return False
    try:
        return plan_model.objects.filter(case__borrower=borrower, status__in=("active", "approved")).exists()
    except FieldError:
        return False


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


def _read_log(log: QuerySet, last: QuerySet, limit: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The contact log's rows (ordered by at, id) and the latest `limit` rows of `last` (newest first).

    Where the database can order and limit the parts of a UNION (PostgreSQL), both come back in one
    round trip, tagged by part and put back in each part's order here; elsewhere, two queries.
    """
    if limit <= 0:
        return list(log.values(*LOG_FIELDS)), []
    if not connections[log.db].features.supports_slicing_ordering_in_compound:
        return list(log.values(*LOG_FIELDS)), list(last.values(*LOG_FIELDS)[:limit])
    part = {"part": Value(0, output_field=IntegerField())}
    both = log.values(*LOG_FIELDS, **part).union(
        last.values(*LOG_FIELDS, part=Value(1, output_field=IntegerField()))[:limit], all=True
    )
    rows: list[dict[str, Any]] = []
    last_rows: list[dict[str, Any]] = []
    for row in both:
        (last_rows if row.pop("part") else rows).append(row)
    rows.sort(key=lambda r: (r["at"], r["id"]))
    last_rows.sort(key=lambda r: (r["at"], r["id"]), reverse=True)
    return rows, last_rows


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
    borrower: Borrower,
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

    phones = list(borrower.phones.all())
    emails = list(borrower.emails.all())
    kinds: dict[str, str] = {}
    for phone in phones:
        kinds[normalise_to(phone.number, channel="call", region=borrower.region)] = phone.kind
    for email in emails:
        kinds[email.address.lower()] = email.kind

    target: dict[str, Any] = {"to": to, "known": to in kinds}
    if channel in ("call", "sms") and to:
        phone = next((p for p in phones if normalise_to(p.number, channel="call", region=borrower.region) == to), None)
        kind = phone.kind if phone else _phone_kind_of_unknown(to)
        target.update(
            kind=kind,
            is_mobile=kind == "mobile",
            autodial_consent=bool(phone and phone.autodial_consent),
            work_contact_prohibited=bool(phone and phone.work_contact_prohibited),
        )
    elif channel == "email" and to:
        target["kind"] = kinds.get(to, "personal")

    # The log is read from the start of the oldest local day any window can reach, up to the action's
    # time: a report after the fact is judged on the history before it. Pending reservations a few
    # minutes later count too: they are concurrent actions whose clocks ran slightly ahead, and
    # leaving them out would let two callers race past a cap.
    since = start_of_local_day(today - dt.timedelta(days=history_days), count_zone)
    upto = Q(at__lte=at) | Q(outcome="", direction=Direction.OUTBOUND, at__lte=at + PENDING_SKEW)
    log = ContactAttempt.objects.filter(upto, borrower=borrower, at__gte=since).order_by("at", "id")
    last = ContactAttempt.objects.filter(
        borrower=borrower, at__lt=at, channel="call", direction=Direction.OUTBOUND, party="borrower"
    ).order_by("-at", "-id")
    rows, last_rows = _read_log(log, last, last_calls)
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
        for c in rows
    ]

    holds = Hold.objects.filter(borrower=borrower).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    facts: dict[str, Any] = {
        "version": FACTS_VERSION,
        "lexicon_version": lexicon.LEXICON_VERSION,
        "packs": packs,
        "borrower": {
            "id": borrower.pk,
            "external_id": borrower.external_id,
            "region": borrower.region,
            "timezone": borrower.timezone,
            "vulnerabilities": borrower.effective_vulnerabilities(on=today),
            "has_active_plan": _has_active_plan(borrower),
            "phones": [
                {
                    "number": p.number,
                    "kind": p.kind,
                    "invalid": p.invalid,
                    "autodial_consent": p.autodial_consent,
                    "work_contact_prohibited": p.work_contact_prohibited,
                }
                for p in phones
            ],
            "emails": [{"address": e.address, "kind": e.kind, "invalid": e.invalid} for e in emails],
        },
        "zones": {
            "candidates": zones,
            "sources": sources,
            "primary": primary,
            "local_times": {z: at.astimezone(tz(z)).isoformat() for z in zones},
            "local_day": today.isoformat(),
        },
        "target": target,
        "holds": [
            {
                "id": h.pk,
                "kind": h.kind,
                "loan_id": h.loan_id,
                "starts_at": h.starts_at.astimezone(dt.UTC).isoformat(),
                "ends_at": h.ends_at.astimezone(dt.UTC).isoformat() if h.ends_at else None,
            }
            for h in holds
        ],
        "opt_outs": [
            {"channel": o.channel, "to": normalise_to(o.to, channel=o.channel, region=borrower.region)}
            for o in borrower.opt_outs.all()
        ],
        "loan": {
            "id": loan.pk,
            "external_id": loan.external_id,
            "statute_limitations_date": loan.statute_limitations_date.isoformat()
            if loan.statute_limitations_date
            else None,
        }
        if loan
        else None,
        "borrower_last_calls": [c["outcome"] for c in last_rows],
        "history": history,
    }
    if third_party is not None:
        tp_log = ContactAttempt.objects.filter(third_party=third_party, at__lt=at)
        facts["third_party"] = {
            "id": third_party.pk,
            "refused": tp_log.filter(outcome="refused").exists(),
            "prior_outbound": tp_log.filter(direction=Direction.OUTBOUND).count(),
        }
    return facts
