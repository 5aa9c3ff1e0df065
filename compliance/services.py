"""The one gate every outreach action passes, and supervisor overrides.

Pages, the platform API and the reminder scheduler all call `outreach_authorize`; nothing reaches a
borrower or a third party without an allowed decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Platform, User
from borrowers.models import Borrower, Channel, ThirdParty
from cases.models import Case, Loan
from contacts.models import ActorKind, ContactAttempt, Direction, Outcome, Party
from contacts.services import contact_record_inbound
from core import rawsql

from . import evidence, packs
from .facts import BorrowerState, build_action, gather_facts, lock_borrower, normalise_to, read_state
from .models import Decision, EvidenceKind
from .rules import Verdict, decide


@dataclass
class GateResult:
    allowed: bool
    decision: Decision | None
    contact: ContactAttempt | None
    reasons: list[dict[str, Any]]
    next_allowed_at: dt.datetime | None


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def default_to(*, borrower: BorrowerState, channel: str, party: str, third_party: ThirdParty | None) -> str:
    """The number or address used when the caller names none: the first valid one of that kind."""
    if party == Party.THIRD_PARTY:
        return third_party.phone if third_party and channel in (Channel.CALL, Channel.SMS) else ""
    if channel in (Channel.CALL, Channel.SMS):
        phones = borrower.phones
        phone = next((p for p in phones if not p["invalid"]), phones[0] if phones else None)
        return phone["number"] if phone else ""
    if channel == Channel.EMAIL:
        emails = borrower.emails
        email = next((e for e in emails if not e["invalid"]), emails[0] if emails else None)
        return email["address"] if email else ""
    return borrower.address


def _validate(
    *,
    borrower: Borrower,
    channel: str,
    party: str,
    third_party: ThirdParty | None,
    loan: Loan | None,
    case: Case | None,
    direction: str,
    outcome: str,
) -> None:
    if channel not in Channel.values:
        raise _fail("channel", f"Unknown channel {channel!r}.")
    if party not in Party.values:
        raise _fail("party", f"Unknown party {party!r}.")
    if direction not in Direction.values:
        raise _fail("direction", f"Unknown direction {direction!r}.")
    if outcome and outcome not in Outcome.values:
        raise _fail("outcome", f"Unknown outcome {outcome!r}.")
    if party == Party.THIRD_PARTY and third_party is None:
        raise _fail("third_party", "Required when party is third_party.")
    if third_party is not None and third_party.borrower_id != borrower.pk:
        raise _fail("third_party", "Not a third party of this borrower.")
    if loan is not None and loan.borrower_id != borrower.pk:
        raise _fail("loan", "Not a loan of this borrower.")
    if case is not None and case.borrower_id != borrower.pk:
        raise _fail("case", "Not a case of this borrower.")


def _reason_dicts(verdict: Verdict) -> list[dict[str, Any]]:
    return [r.as_dict() for r in verdict.reasons]


@dataclass
class _Packs:
    codes: list[str]
    params: dict[str, Any]
    versions: dict[str, int]


def _read_locked(borrower: BorrowerState, at: dt.datetime) -> _Packs:
    """The borrower's rule packs, and their state read under the lock (one statement, read_state)."""
    codes = packs.packs_for_region(borrower.region, borrower.default_jurisdiction)
    params, versions = packs.pack_params(codes)
    cn = params.get("CN", packs.DEFAULT_PACKS["CN"])
    read_state(
        borrower,
        at=at,
        history_days=params["COMMON"]["history_days"],
        last_calls=cn["third_party_borrower_reachable"]["unanswered_attempts"],
    )
    return _Packs(codes, params, versions)


def _evaluate_locked(
    *,
    borrower: BorrowerState,
    rules: _Packs,
    action: dict[str, Any],
    third_party: ThirdParty | None,
    loan: Loan | None,
) -> tuple[dict[str, Any], Verdict]:
    facts = gather_facts(
        borrower=borrower,
        action=action,
        third_party=third_party,
        loan=loan,
        packs=rules.codes,
        history_days=rules.params["COMMON"]["history_days"],
    )
    facts["action"] = action
    verdict = decide(action, facts, rules.params)
    # The counts behind each cap, next to the facts they came from (what a reviewer reads first).
    facts["counts"] = {r.code: r.detail for r in verdict.results if "count" in r.detail or "counts" in r.detail}
    return facts, verdict


def _new_decision(
    *,
    borrower: BorrowerState,
    action: dict[str, Any],
    facts: dict[str, Any],
    verdict: Verdict,
    allowed: bool,
    rules: _Packs,
    loan: Loan | None,
    case: Case | None,
    third_party: ThirdParty | None,
    actor_kind: str,
    actor_user: User | None,
    actor_platform: Platform | None,
    dry_run: bool,
    override_of: Decision | None = None,
    override_reason: str = "",
) -> Decision:
    message = action["message"]
    decision = Decision(
        platform_id=borrower.platform_id,
        borrower_id=borrower.id,
        loan=loan,
        case=case,
        channel=action["channel"],
        party=action["party"],
        third_party=third_party,
        to=action["to"],
        message_digest=hashlib.sha256(message.encode()).hexdigest() if message else "",
        actor_kind=actor_kind,
        actor_user=actor_user,
        actor_platform=actor_platform,
        at=dt.datetime.fromisoformat(action["at"]),
        dry_run=dry_run,
        allowed=allowed,
        results=[r.as_dict() for r in verdict.results],
        reasons=_reason_dicts(verdict),
        facts=facts,
        rule_pack=packs.pack_label(rules.codes),
        pack_versions=rules.versions,
        next_allowed_at=None if allowed else verdict.next_allowed_at,
        override_of=override_of,
        override_reason=override_reason,
    )
    return decision  # written by _save, with its contact and evidence links


def _new_contact(
    *,
    borrower: BorrowerState,
    action: dict[str, Any],
    decision: Decision | None,
    loan: Loan | None,
    case: Case | None,
    third_party: ThirdParty | None,
    actor_kind: str,
    actor_user: User | None,
    actor_platform: Platform | None,
    outcome: str = "",
    duration_s: int | None = None,
    notes: str = "",
) -> ContactAttempt:
    contact = ContactAttempt(
        platform_id=borrower.platform_id,
        borrower_id=borrower.id,
        loan=loan,
        case=case,
        channel=action["channel"],
        direction=action["direction"],
        party=action["party"],
        third_party=third_party,
        to=action["to"],
        outcome=outcome,
        outcome_at=timezone.now() if outcome else None,
        at=dt.datetime.fromisoformat(action["at"]),
        duration_s=duration_s,
        notes=notes,
        message=action["message"],
        autodialed=action["autodialed"],
        consented=action["consented"],
        collectors=action["collectors"],
        at_work=action["at_work"],
        actor_kind=actor_kind,
        actor_user=actor_user,
        actor_platform=actor_platform,
        decision=decision,
    )
    return contact


def _evidence_items(decision: Decision, contact: ContactAttempt | None) -> list[tuple[str, int, dict[str, Any]]]:
    items: list[tuple[str, int, dict[str, Any]]] = [
        (EvidenceKind.DECISION, decision.pk, evidence.record_row(EvidenceKind.DECISION, decision))
    ]
    if contact is not None:
        items.append((EvidenceKind.CONTACT, contact.pk, evidence.record_row(EvidenceKind.CONTACT, contact)))
        outcome = evidence.record_row(EvidenceKind.CONTACT_OUTCOME, contact)
        if not evidence.outcome_is_empty(outcome):
            items.append((EvidenceKind.CONTACT_OUTCOME, contact.pk, outcome))
    return items


def _save(borrower: BorrowerState, decision: Decision, contact: ContactAttempt | None) -> None:
    """Write the decision, the contact it allowed and their evidence links, under the borrower's lock.

    Plain inserts (no post_save, which links ORM writes), so the links are chained here. On PostgreSQL
    the ids were drawn from the sequences by read_state and everything goes in one statement: three
    round trips were a sixth of a decision's time (docs/performance.md).
    """
    if borrower.reserved_ids is not None:
        decision_id, contact_id = borrower.reserved_ids
        rawsql.saved(decision, decision_id)
        statements = [rawsql.prepare_insert(decision, with_pk=True)]
        if contact is not None:
            contact.decision = decision
            rawsql.saved(contact, contact_id)
            statements.append(rawsql.prepare_insert(contact, with_pk=True))
        links = evidence.chain_links(borrower.id, _evidence_items(decision, contact), head=borrower.evidence_head)
        statements += [rawsql.prepare_insert(*links), evidence.head_upsert(links[-1])]
        rawsql.execute_together(statements)
        return
    rawsql.insert(decision)
    if contact is not None:
        contact.decision = decision
        rawsql.insert(contact)
    evidence.append_rows_locked(borrower.id, _evidence_items(decision, contact), head=borrower.evidence_head)


def outreach_authorize(
    *,
    borrower: Borrower,
    channel: str,
    to: str | None = None,
    party: str = Party.BORROWER,
    third_party: ThirdParty | None = None,
    loan: Loan | None = None,
    case: Case | None = None,
    at: dt.datetime | None = None,
    message: str = "",
    collectors: int | None = None,
    autodialed: bool = False,
    consented: bool = False,
    at_work: bool = False,
    actor_user: User | None = None,
    actor_platform: Platform | None = None,
    actor_kind: str,
    dry_run: bool = False,
    direction: str = Direction.OUTBOUND,
    outcome: str = "",
    duration_s: int | None = None,
    notes: str = "",
) -> GateResult:
    """Decide whether an outreach action may happen, record the decision and, when allowed (and not a
    dry run), the contact attempt: pending (no outcome) for an action about to happen, or with its
    outcome when a dialer reports it after the fact. Inbound contacts are recorded, never judged.

    Raises ValidationError({field: [...]}) for input that names something wrong.
    """
    if case is not None and loan is None:
        loan = case.loan
    _validate(
        borrower=borrower,
        channel=channel,
        party=party,
        third_party=third_party,
        loan=loan,
        case=case,
        direction=direction,
        outcome=outcome,
    )
    if actor_kind not in ActorKind.values:
        raise _fail("actor_kind", f"Unknown actor kind {actor_kind!r}.")
    if direction == Direction.INBOUND:
        contact = contact_record_inbound(
            borrower=borrower,
            channel=channel,
            to=to or "",
            party=party,
            third_party=third_party,
            loan=loan,
            case=case,
            at=at,
            outcome=outcome,
            duration_s=duration_s,
            notes=notes,
            message=message,
            actor_kind=actor_kind,
            actor_user=actor_user,
            actor_platform=actor_platform,
        )
        return GateResult(True, None, contact, [], None)

    with transaction.atomic():
        # The row lock serialises every gate call for this borrower, so that the counts read below
        # include any attempt another collector reserved a moment ago (the cap cannot be raced past).
        locked = lock_borrower(borrower.pk)
        # "Now" is read after the lock, so live actions are timed in the order they were serialised.
        at = at or timezone.now()
        rules = _read_locked(locked, at)
        target = (
            to if to is not None else default_to(borrower=locked, channel=channel, party=party, third_party=third_party)
        )
        action = build_action(
            channel=channel,
            party=party,
            to=normalise_to(target, channel=channel, region=locked.region),
            third_party=third_party,
            loan=loan,
            case_id=case.pk if case else None,
            at=at,
            message=message,
            collectors=collectors,
            autodialed=autodialed,
            consented=consented,
            at_work=at_work,
        )
        facts, verdict = _evaluate_locked(
            borrower=locked, rules=rules, action=action, third_party=third_party, loan=loan
        )
        actor = {"actor_kind": actor_kind, "actor_user": actor_user, "actor_platform": actor_platform}
        decision = _new_decision(
            borrower=locked,
            action=action,
            facts=facts,
            verdict=verdict,
            allowed=verdict.allowed,
            rules=rules,
            loan=loan,
            case=case,
            third_party=third_party,
            dry_run=dry_run,
            **actor,
        )
        contact = None
        if verdict.allowed and not dry_run:
            contact = _new_contact(
                borrower=locked,
                action=action,
                decision=decision,
                loan=loan,
                case=case,
                third_party=third_party,
                outcome=outcome,
                duration_s=duration_s,
                notes=notes,
                **actor,
            )
        # With their evidence links, in this transaction under the borrower's lock: they commit together.
        _save(locked, decision, contact)
    return GateResult(verdict.allowed, decision, contact, _reason_dicts(verdict), decision.next_allowed_at)


def non_overridable_codes() -> set[str]:
    kinds = packs.active_params("COMMON")["non_overridable_holds"]
    return {f"hold_{kind}" for kind in kinds}


# How far an action's time may lie before its evaluation for it to count as a live action (an override
# of a live action happens now; an override of an after-the-fact report keeps the reported time).
_LIVE_SKEW = dt.timedelta(minutes=5)


def decision_override(*, decision: Decision, user: User, reason: str) -> GateResult:
    """A supervisor lets one blocked action through, with a written reason. The override is a decision
    too (allowed, override_of set, the rules re-evaluated and recorded as they stood), and it writes the
    pending contact attempt. Holds of kind cease, attorney, bankruptcy, deceased and breathing space
    can never be overridden.
    """
    if not getattr(user, "is_supervisor", False):
        raise PermissionDenied("Only a supervisor may override a compliance block.")
    reason = (reason or "").strip()
    if not reason:
        raise _fail("reason", "A written reason is required.")
    if decision.allowed:
        raise _fail("decision", "This decision did not block anything.")
    forbidden = non_overridable_codes()
    if forbidden.intersection(r["code"] for r in decision.reasons):
        raise _fail("decision", "Blocked by a hold that cannot be overridden.")

    with transaction.atomic():
        locked = lock_borrower(decision.borrower_id)
        if Decision.objects.filter(override_of=decision).exists():
            raise _fail("decision", "This decision has already been overridden.")
        original = decision.facts.get("action", {})
        live = decision.evaluated_at - decision.at < _LIVE_SKEW
        at = timezone.now() if live else decision.at
        third_party = decision.third_party
        loan = decision.loan
        action = build_action(
            channel=decision.channel,
            party=decision.party,
            to=decision.to,
            third_party=third_party,
            loan=loan,
            case_id=decision.case_id,
            at=at,
            message=original.get("message", ""),
            collectors=original.get("collectors"),
            autodialed=original.get("autodialed", False),
            consented=original.get("consented", False),
            at_work=original.get("at_work", False),
        )
        rules = _read_locked(locked, at)
        facts, verdict = _evaluate_locked(
            borrower=locked, rules=rules, action=action, third_party=third_party, loan=loan
        )
        if forbidden.intersection(r.code for r in verdict.reasons):
            raise _fail("decision", "Blocked by a hold that cannot be overridden.")
        actor = {"actor_kind": ActorKind.USER, "actor_user": user, "actor_platform": None}
        new = _new_decision(
            borrower=locked,
            action=action,
            facts=facts,
            verdict=verdict,
            allowed=True,
            rules=rules,
            loan=loan,
            case=decision.case,
            third_party=third_party,
            dry_run=False,
            override_of=decision,
            override_reason=reason,
            **actor,
        )
        contact = _new_contact(
            borrower=locked,
            action=action,
            decision=new,
            loan=loan,
            case=decision.case,
            third_party=third_party,
            **actor,
        )
        _save(locked, new, contact)
    return GateResult(True, new, contact, _reason_dicts(verdict), None)
