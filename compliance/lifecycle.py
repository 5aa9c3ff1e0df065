"""The records lifecycle: how long a borrower's records are kept, the purge when that period has passed,
and erasure of a borrower's personal data on request (GDPR Art. 17 for UK borrowers, PIPL Art. 47 for CN).

Retention (RULES.md, "Additions"): contact records, decisions and evidence are kept at least N years after
the last collection activity on the borrower: 3 in the US (Regulation F 1006.100), 2 in CN, 6 in the UK;
the pack parameter `retention.years_after_last_activity` (the code's defaults, compliance.packs, unless a
pack version sets its own). After that the personal data is pseudonymised, not the records deleted: the
decisions and contacts stay (with their times, channels, outcomes and verdicts) so that counts,
audits and the evidence chain survive.

Erasure = pseudonymisation, in one transaction under the borrower's row lock:

- the borrower's name becomes "erased-<id>"; national id, date of birth, address and declared
  vulnerabilities are emptied; phones, e-mails, third parties and opt-outs lose their numbers, addresses
  and names; hold notes are emptied; the same fields in the history tables (django-simple-history);
- each contact's number or address, message and notes, and each decision's number or address, override
  reason and every occurrence of those values inside its facts and results, are replaced;
- an `Erasure` row records what changed: for every decision and contact whose stored content changed, its
  content hash before and after. It is itself linked into the borrower's evidence chain, so
  `verify_evidence` accepts exactly those changes (the chain's hashes do not need the erased values) and
  still reports any other.

Refused (and recorded as refused) while a dispute hold (borrowers.Hold) or a litigation or regulatory
record hold (compliance.RecordHold) is active, or when the borrower's evidence chain does not verify
(erasing would hide what broke it). The retention purge never touches a borrower with an open case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from borrowers.models import Borrower, Email, Hold, HoldKind, OptOut, Phone, ThirdParty
from cases.models import Case, CaseStatus, Payment
from contacts.models import ContactAttempt

from . import evidence, packs
from .models import Decision, Erasure, ErasureReason, ErasureStatus, EvidenceKind, RecordHold, ValidationNotice

ERASED = "[erased]"

LEGAL_BASIS = {
    "gdpr": "UK GDPR Art. 17 (right to erasure)",
    "pipl": "PIPL Art. 47 (deletion of personal information)",
    "request": "the borrower's request",
}


def _years_later(at: dt.datetime, years: int) -> dt.datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February in a year that has none: the next day
        return at.replace(year=at.year + years, month=3, day=1)


# --- retention ------------------------------------------------------------------------------------------


def retention_years(borrower: Borrower) -> int:
    """The longest retention period of the packs that judge the borrower."""
    codes = packs.packs_for_region(borrower.region, borrower.platform.default_jurisdiction)
    years = [0]
    for code in codes:
        params = packs.active_params(code)
        retention = params.get("retention") or packs.DEFAULT_PACKS.get(code, {}).get("retention") or {}
        years.append(int(retention.get("years_after_last_activity", 0)))
    return max(years)


def last_collection_activity(borrower: Borrower) -> dt.datetime:
    """The latest contact, decision or payment on the borrower (its creation when there is none)."""
    times = [
        ContactAttempt.objects.filter(borrower=borrower).aggregate(m=Max("at"))["m"],
        Decision.objects.filter(borrower=borrower).aggregate(m=Max("at"))["m"],
        Payment.objects.filter(loan__borrower=borrower).aggregate(m=Max("paid_at"))["m"],
    ]
    return max([t for t in times if t is not None], default=borrower.created_at)


@dataclass(frozen=True)
class RetentionDue:
    borrower_id: int
    pack: str
    years: int
    last_activity: dt.datetime
    ends_at: dt.datetime


def retention_due(*, now: dt.datetime) -> list[RetentionDue]:
    """Borrowers whose retention period has ended by `now`: not erased yet, no open case."""
    out = []
    candidates = (
        Borrower.objects.exclude(erasures__status=ErasureStatus.DONE)
        .exclude(pk__in=Case.objects.filter(status=CaseStatus.OPEN).values("borrower_id"))
        .select_related("platform")
        .order_by("pk")
    )
    for borrower in candidates:
        years = retention_years(borrower)
        if not years:
            continue
        last = last_collection_activity(borrower)
        ends_at = _years_later(last, years)
        if ends_at <= now:
            label = packs.pack_label(packs.packs_for_region(borrower.region, borrower.platform.default_jurisdiction))
            out.append(RetentionDue(borrower.pk, label, years, last, ends_at))
    return out


def records_purge(*, now: dt.datetime | None = None) -> list[Erasure]:
    """Pseudonymise every borrower whose retention period has ended; each one recorded (done or refused)."""
    now = now or timezone.now()
    done = []
    for due in retention_due(now=now):
        borrower = Borrower.objects.get(pk=due.borrower_id)
        basis = f"retention: {due.years} years after the last collection activity ({due.pack})"
        done.append(
            borrower_erase(borrower=borrower, reason=ErasureReason.RETENTION, legal_basis=basis, requested_at=now)
        )
    return done


# --- erasure --------------------------------------------------------------------------------------------


def erasure_blockers(borrower: Borrower, at: dt.datetime) -> list[str]:
    """Why the borrower's data may not be erased now: open dispute, litigation or regulatory holds."""
    reasons = []
    if Hold.objects.filter(borrower=borrower, kind=HoldKind.DISPUTE).active_at(at).exists():
        reasons.append("dispute")
    reasons += sorted(set(RecordHold.objects.filter(borrower=borrower).active_at(at).values_list("kind", flat=True)))
    return reasons


def _personal_values(borrower: Borrower) -> list[str]:
    """Every personal value of the borrower that may be copied into the records, longest first."""
    values: set[str] = {borrower.full_name, borrower.address, borrower.national_id_last4}
    values |= set(Phone.objects.filter(borrower=borrower).values_list("number", flat=True))
    values |= set(Email.objects.filter(borrower=borrower).values_list("address", flat=True))
    for name, phone in ThirdParty.objects.filter(borrower=borrower).values_list("name", "phone"):
        values |= {name, phone}
    values |= set(OptOut.objects.filter(borrower=borrower).values_list("to", flat=True))
    for to, message, notes in ContactAttempt.objects.filter(borrower=borrower).values_list("to", "message", "notes"):
        values |= {to, message, notes}
    for to, reason in Decision.objects.filter(borrower=borrower).values_list("to", "override_reason"):
        values |= {to, reason}
    # Short values (a 4-digit id tail, an empty string) would replace innocent text everywhere.
    return sorted((v for v in values if v and len(v) >= 5), key=len, reverse=True)


_PERSONAL_KEYS = {"to", "message", "notes", "number", "address", "name", "full_name", "text", "override_reason"}


def _scrub(value: Any, personal: list[str], key: str = "") -> Any:
    """`value` with the personal values replaced (recursively through JSON)."""
    if isinstance(value, dict):
        return {k: _scrub(v, personal, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, personal, key) for v in value]
    if isinstance(value, str) and value:
        if key in _PERSONAL_KEYS:
            return ERASED
        for item in personal:
            if item in value:
                value = value.replace(item, ERASED)
    return value


def _hashes(borrower_id: int) -> dict[tuple[str, int], str]:
    """The content hash of every decision, contact and contact outcome of the borrower, as stored now."""
    out: dict[tuple[str, int], str] = {}
    for kind in (EvidenceKind.DECISION, EvidenceKind.CONTACT, EvidenceKind.CONTACT_OUTCOME):
        model, fields = evidence.KIND_FIELDS[kind]
        for row in model.objects.filter(borrower_id=borrower_id).values(*fields):
            out[(kind, row["id"])] = evidence.content_hash(row)
    return out


def _plain_update(queryset: models.QuerySet, **values: Any) -> int:
    # Decisions and contacts refuse QuerySet.update (append-only); erasure is the one sanctioned change,
    # and the Erasure record linked into the chain accounts for it.
    return models.QuerySet.update(queryset, **values)


@transaction.atomic
def borrower_erase(
    *,
    borrower: Borrower,
    reason: str,
    legal_basis: str,
    requested_by: Any = None,
    requested_at: dt.datetime | None = None,
) -> Erasure:
    """Pseudonymise the borrower's personal data (or refuse, with the reasons); the Erasure is recorded
    and linked into the evidence chain either way."""
    now = timezone.now()
    requested_at = requested_at or now
    borrower = Borrower.objects.select_for_update().get(pk=borrower.pk)
    blockers = erasure_blockers(borrower, now)
    failure, _count = evidence.verify_borrower(borrower.pk)
    if failure is not None:
        blockers.append(f"evidence_chain_broken: {failure.describe()}")
    if blockers:
        return _record(borrower, reason, ErasureStatus.REFUSED, legal_basis, requested_by, requested_at, now, blockers)

    personal = _personal_values(borrower)
    before = _hashes(borrower.pk)
    pseudonym = f"erased-{borrower.pk}"

    # The borrower and their contact points, and the same fields in their history.
    _plain_update(
        Borrower.objects.filter(pk=borrower.pk),
        full_name=pseudonym,
        national_id_encrypted="",
        national_id_last4="",
        date_of_birth=None,
        address="",
        vulnerabilities=[],
    )
    Borrower.history.filter(id=borrower.pk).update(
        full_name=pseudonym, national_id_last4="", date_of_birth=None, address="", vulnerabilities=[]
    )
    contact_points: list[tuple[Any, dict[str, Any]]] = [
        (Phone, {"number": ERASED, "invalid": True}),
        (Email, {"address": f"{pseudonym}@erased.invalid", "invalid": True}),
        (ThirdParty, {"name": ERASED, "phone": ""}),
        (OptOut, {"to": ERASED}),
        (Hold, {"note": ""}),
    ]
    for model, values in contact_points:
        model.objects.filter(borrower=borrower).update(**values)
        model.history.filter(borrower_id=borrower.pk).update(**{k: v for k, v in values.items() if k != "invalid"})

    # Regulation F validation notices keep the values they were sent with: the consumer's name and address.
    def _notice_values(row: Any) -> dict[str, Any]:
        sent = row["fields"] or {}
        if sent:
            sent = _scrub({**sent, "consumer_name": pseudonym, "consumer_address": ERASED}, personal)
        return {"fields": sent, "verification_note": ERASED if row["verification_note"] else ""}

    for row in ValidationNotice.objects.filter(borrower=borrower).values("id", "fields", "verification_note"):
        ValidationNotice.objects.filter(pk=row["id"]).update(**_notice_values(row))
    notice_history = ValidationNotice.history.filter(borrower_id=borrower.pk)
    for row in notice_history.values("history_id", "fields", "verification_note"):
        ValidationNotice.history.filter(history_id=row["history_id"]).update(**_notice_values(row))

    # The records: plain values replaced, copies inside JSON scrubbed.
    for contact in ContactAttempt.objects.filter(borrower=borrower).values("id", "to", "message", "notes"):
        _plain_update(
            ContactAttempt.objects.filter(pk=contact["id"]),
            to=ERASED if contact["to"] else "",
            message=ERASED if contact["message"] else "",
            notes=ERASED if contact["notes"] else "",
        )
    decision_fields = ("id", "to", "facts", "results", "reasons", "override_reason")
    for decision in Decision.objects.filter(borrower=borrower).values(*decision_fields):
        _plain_update(
            Decision.objects.filter(pk=decision["id"]),
            to=ERASED if decision["to"] else "",
            facts=_scrub(decision["facts"], personal),
            results=_scrub(decision["results"], personal),
            reasons=_scrub(decision["reasons"], personal),
            override_reason=ERASED if decision["override_reason"] else "",
        )

    after = _hashes(borrower.pk)
    changed = [
        {"kind": kind, "object_id": object_id, "before": digest, "after": after[(kind, object_id)]}
        for (kind, object_id), digest in sorted(before.items())
        if after.get((kind, object_id)) != digest
    ]
    erased = {
        "borrower": ["full_name", "national_id", "date_of_birth", "address", "vulnerabilities"],
        "phones": ["number"],
        "emails": ["address"],
        "third_parties": ["name", "phone"],
        "opt_outs": ["to"],
        "holds": ["note"],
        "contacts": ["to", "message", "notes"],
        "decisions": ["to", "override_reason", "personal values in facts, results and reasons"],
        "validation_notices": ["consumer name and address in the fields sent", "verification note"],
        "history": ["the same fields in every historical row"],
    }
    return _record(
        borrower, reason, ErasureStatus.DONE, legal_basis, requested_by, requested_at, now, [], changed, erased
    )


def _record(
    borrower: Borrower,
    reason: str,
    status: str,
    legal_basis: str,
    requested_by: Any,
    requested_at: dt.datetime,
    now: dt.datetime,
    blockers: list[str],
    records: list[dict[str, Any]] | None = None,
    erased: dict[str, list[str]] | None = None,
) -> Erasure:
    erasure = Erasure.objects.create(
        borrower=borrower,
        reason=reason,
        status=status,
        legal_basis=legal_basis,
        refused_because=blockers,
        requested_by=requested_by,
        requested_at=requested_at,
        performed_at=now,
        records=records or [],
        erased=erased or {},
    )
    evidence.append_link(borrower_id=borrower.pk, kind=EvidenceKind.ERASURE, object_id=erasure.pk)
    return erasure
