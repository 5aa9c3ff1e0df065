"""The one gate every outreach action passes, and supervisor overrides.

Pages, the platform API and the reminder scheduler all call `outreach_authorize` with an action and
who takes it (`compliance.actions`); nothing reaches a borrower or a third party without an allowed
decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from borrowers.models import Channel, ThirdParty
from contacts.models import ActorKind, ContactAttempt, Direction, Outcome, Party
from contacts.services import contact_record_inbound
from core import rawsql

from . import evidence, metrics, packs, validation
from .actions import Actor, OutreachAction
from .facts import (
    BorrowerState,
    LogEntry,
    gather_facts,
    lock_borrower,
    lock_borrowers,
    normalise_to,
    read_state,
    read_states,
)
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
    if channel == Channel.PUSH:
        return borrower.external_id  # the platform's app finds the borrower's devices by its own id
    return borrower.address


def _validate(action: OutreachAction, actor: Actor) -> None:
    borrower, third_party, loan, case = action.borrower, action.third_party, action.loan, action.case
    if action.channel not in Channel.values:
        raise _fail("channel", f"Unknown channel {action.channel!r}.")
    if action.party not in Party.values:
        raise _fail("party", f"Unknown party {action.party!r}.")
    if action.direction not in Direction.values:
        raise _fail("direction", f"Unknown direction {action.direction!r}.")
    if action.outcome and action.outcome not in Outcome.values:
        raise _fail("outcome", f"Unknown outcome {action.outcome!r}.")
    if action.party == Party.THIRD_PARTY and third_party is None:
        raise _fail("third_party", "Required when party is third_party.")
    if third_party is not None and third_party.borrower_id != borrower.pk:
        raise _fail("third_party", "Not a third party of this borrower.")
    if loan is not None and loan.borrower_id != borrower.pk:
        raise _fail("loan", "Not a loan of this borrower.")
    if case is not None and case.borrower_id != borrower.pk:
        raise _fail("case", "Not a case of this borrower.")
    if actor.kind not in ActorKind.values:
        raise _fail("actor_kind", f"Unknown actor kind {actor.kind!r}.")


def _reason_dicts(verdict: Verdict) -> list[dict[str, Any]]:
    return [r.as_dict() for r in verdict.reasons]


@dataclass
class _Packs:
    codes: list[str]
    params: dict[str, Any]
    versions: dict[str, int]

    @property
    def history_days(self) -> int:
        return int(self.params["COMMON"]["history_days"])

    @property
    def last_calls(self) -> int:
        """How many of the borrower's last calls the CN third-party rule reads."""
        cn = self.params.get("CN", packs.DEFAULT_PACKS["CN"])
        return int(cn["third_party_borrower_reachable"]["unanswered_attempts"])


def _packs_of(borrower: BorrowerState) -> _Packs:
    codes = packs.packs_for_region(borrower.region, borrower.default_jurisdiction)
    params, versions = packs.pack_params(codes)
    return _Packs(codes, params, versions)


def _read_locked(borrower: BorrowerState, at: dt.datetime) -> _Packs:
    """The borrower's rule packs, and their state read under the lock (one statement, read_state)."""
    rules = _packs_of(borrower)
    read_state(borrower, at=at, history_days=rules.history_days, last_calls=rules.last_calls)
    return rules


def _evaluate_locked(
    *, borrower: BorrowerState, rules: _Packs, action: OutreachAction
) -> tuple[dict[str, Any], Verdict]:
    fact = action.as_fact()
    facts = gather_facts(
        borrower=borrower,
        action=fact,
        third_party=action.third_party,
        loan=action.loan,
        packs=rules.codes,
        history_days=rules.params["COMMON"]["history_days"],
    )
    facts["action"] = fact
    verdict = decide(fact, facts, rules.params)
    # The counts behind each cap, next to the facts they came from (what a reviewer reads first).
    facts["counts"] = {r.code: r.detail for r in verdict.results if "count" in r.detail or "counts" in r.detail}
    return facts, verdict


def _new_decision(
    *,
    borrower: BorrowerState,
    action: OutreachAction,
    actor: Actor,
    facts: dict[str, Any],
    verdict: Verdict,
    allowed: bool,
    rules: _Packs,
    override_of: Decision | None = None,
    override_reason: str = "",
) -> Decision:
    assert action.to is not None and action.at is not None  # a judged action (OutreachAction.judged)
    message = action.message
    decision = Decision(
        platform_id=borrower.platform_id,
        borrower_id=borrower.id,
        loan=action.loan,
        case=action.case,
        channel=action.channel,
        party=action.party,
        third_party=action.third_party,
        to=action.to,
        message_digest=hashlib.sha256(message.encode()).hexdigest() if message else "",
        **actor.as_fields(),
        at=action.at,
        dry_run=action.dry_run,
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
    *, borrower: BorrowerState, action: OutreachAction, actor: Actor, decision: Decision
) -> ContactAttempt:
    """The contact an allowed decision lets happen: pending, or with the outcome a dialer reported."""
    assert action.to is not None and action.at is not None  # a judged action (OutreachAction.judged)
    contact = ContactAttempt(
        platform_id=borrower.platform_id,
        borrower_id=borrower.id,
        loan=action.loan,
        case=action.case,
        channel=action.channel,
        direction=action.direction,
        party=action.party,
        third_party=action.third_party,
        to=action.to,
        outcome=action.outcome,
        outcome_at=timezone.now() if action.outcome else None,
        at=action.at,
        duration_s=action.duration_s,
        notes=action.notes,
        message=action.message,
        disclosures=list(action.disclosures),
        autodialed=action.autodialed,
        consented=action.consented,
        collectors=action.collectors,
        at_work=action.at_work,
        **actor.as_fields(),
        decision=decision,
    )
    return contact


def _evidence_items(
    decision: Decision, contact: ContactAttempt | None, facts: evidence.CanonicalText | None = None
) -> list[tuple[str, int, dict[str, Any]]]:
    written = {"facts": facts} if facts is not None else None
    items: list[tuple[str, int, dict[str, Any]]] = [
        (EvidenceKind.DECISION, decision.pk, evidence.record_row(EvidenceKind.DECISION, decision, written=written))
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
    metrics.decision_recorded(decision)
    if borrower.reserved_ids is not None:
        decision_id, contact_id = borrower.reserved_ids
        rawsql.saved(decision, decision_id)
        insert, facts = _decisions_insert([decision])
        statements = [insert]
        if contact is not None:
            contact.decision = decision
            rawsql.saved(contact, contact_id)
            statements.append(rawsql.prepare_insert(contact, with_pk=True))
        items = _evidence_items(decision, contact, facts[0])
        links = evidence.chain_links(borrower.id, items, head=borrower.evidence_head)
        statements += [rawsql.prepare_insert(*links), evidence.head_upsert(links[-1])]
        rawsql.execute_together(statements)
        return
    rawsql.insert(decision)
    if contact is not None:
        contact.decision = decision
        rawsql.insert(contact)
    evidence.append_rows_locked(borrower.id, _evidence_items(decision, contact), head=borrower.evidence_head)


def _facts_column() -> int:
    return [f.name for f in Decision._meta.concrete_fields].index("facts")


def _written(text: str) -> Callable[[Any], str]:
    """psycopg's `dumps` for a JSON value already serialised."""

    def dumps(_value: Any) -> str:
        return text

    return dumps


def _decisions_insert(decisions: list[Decision]) -> tuple[Statement, list[evidence.CanonicalText]]:
    """The INSERT of decisions with their ids (PostgreSQL), each one's facts serialised once: the same
    canonical JSON text goes to the row and into the hash of its evidence link (a decision's facts are
    its largest value; three serialisations and a parse were ~0.3 ms of a decision)."""
    from psycopg.types.json import Jsonb  # PostgreSQL's: this path runs there only

    sql, params = rawsql.prepare_insert(*decisions, with_pk=True)
    width, column = len(Decision._meta.concrete_fields), _facts_column()
    texts = []
    for i, decision in enumerate(decisions):
        text = evidence.CanonicalText(evidence.canonical_dumps(decision.facts))
        params[i * width + column] = Jsonb(None, dumps=_written(text))
        texts.append(text)
    return (sql, params), texts


def _schedule_validation(borrower: BorrowerState, rules: _Packs, action: OutreachAction, decision: Decision) -> None:
    """Regulation F 1006.34: a case's first outbound communication with a US borrower schedules its
    validation notice (in the gate's transaction, under the borrower's lock: once per case)."""
    if "US" not in rules.codes or action.party != Party.BORROWER or action.direction != Direction.OUTBOUND:
        return
    notice = validation.schedule_on_first_communication(
        borrower_id=borrower.id,
        case_id=action.case.pk if action.case is not None else None,
        loan_id=action.loan.pk if action.loan is not None else None,
        known_cases=borrower.validation_cases,
        decision=decision,
    )
    if notice is not None:
        # A later action of the same batch (outreach_authorize_batch) sees the case's notice as read.
        borrower.validation_cases.add(notice.case_id)


def outreach_authorize(*, action: OutreachAction, actor: Actor) -> GateResult:
    """Decide whether an outreach action may happen, record the decision and, when allowed (and not a
    dry run), the contact attempt: pending (no outcome) for an action about to happen, or with its
    outcome when a dialer reports it after the fact. Inbound contacts are recorded, never judged.

    Raises ValidationError({field: [...]}) for input that names something wrong.
    """
    if action.case is not None and action.loan is None:
        action = replace(action, loan=action.case.loan)
    _validate(action, actor)
    if action.direction == Direction.INBOUND:
        inbound = contact_record_inbound(
            borrower=action.borrower,
            channel=action.channel,
            to=action.to or "",
            party=action.party,
            third_party=action.third_party,
            loan=action.loan,
            case=action.case,
            at=action.at,
            outcome=action.outcome,
            duration_s=action.duration_s,
            notes=action.notes,
            message=action.message,
            disclosures=list(action.disclosures),
            **actor.as_fields(),
        )
        return GateResult(True, None, inbound, [], None)

    with transaction.atomic():
        # The row lock serialises every gate call for this borrower, so that the counts read below
        # include any attempt another collector reserved a moment ago (the cap cannot be raced past).
        locked = lock_borrower(action.borrower.pk)
        # "Now" is read after the lock, so live actions are timed in the order they were serialised.
        at = action.at or timezone.now()
        rules = _read_locked(locked, at)
        action, verdict, decision, contact = _judge(locked, rules, action, actor, at)
        # With their evidence links, in this transaction under the borrower's lock: they commit together.
        _save(locked, decision, contact)
        if contact is not None:
            _schedule_validation(locked, rules, action, decision)
    return GateResult(verdict.allowed, decision, contact, _reason_dicts(verdict), decision.next_allowed_at)


def _judge(
    locked: BorrowerState, rules: _Packs, action: OutreachAction, actor: Actor, at: dt.datetime
) -> tuple[OutreachAction, Verdict, Decision, ContactAttempt | None]:
    """One action judged on a borrower's state read under the lock: its target resolved, its facts
    gathered, every rule evaluated, and the decision (and the contact it allows) built, not written.
    The single gate and the batched one both judge with this."""
    channel = action.channel
    target = (
        action.to
        if action.to is not None
        else default_to(borrower=locked, channel=channel, party=action.party, third_party=action.third_party)
    )
    action = action.judged(to=normalise_to(target, channel=channel, region=locked.region), at=at)
    facts, verdict = _evaluate_locked(borrower=locked, rules=rules, action=action)
    decision = _new_decision(
        borrower=locked,
        action=action,
        actor=actor,
        facts=facts,
        verdict=verdict,
        allowed=verdict.allowed,
        rules=rules,
    )
    contact = None
    if verdict.allowed and not action.dry_run:
        contact = _new_contact(borrower=locked, action=action, actor=actor, decision=decision)
    return action, verdict, decision, contact


# --- the batched gate -----------------------------------------------------------------------------------

Statement = tuple[str, list[Any]]
# What the batched gate answers for each action: the gate's result, or the input error the single gate
# would have raised for that action alone.
BatchAnswer = GateResult | ValidationError


def _pending_entry(contact: ContactAttempt) -> LogEntry:
    """The contact log's entry for a contact the batch is about to write, as read_state would read it back."""
    assert contact.at is not None
    return LogEntry(
        id=contact.pk,
        at=contact.at,
        channel=contact.channel,
        direction=contact.direction,
        party=contact.party,
        third_party_id=contact.third_party_id,
        to=contact.to,
        at_work=contact.at_work,
        loan_id=contact.loan_id,
        outcome=contact.outcome,
        consented=contact.consented,
    )


def outreach_authorize_batch(
    *,
    actions: list[OutreachAction],
    actor: Actor,
    then: Callable[[list[BatchAnswer]], list[Statement]] | None = None,
) -> list[BatchAnswer]:
    """The gate for many outbound actions at once (the reminder dispatcher's), decided exactly as
    `outreach_authorize` decides each one, in the caller's transaction:

    - every borrower locked in one statement, in id order (lock_borrowers);
    - their states read in one statement (facts.read_states: read_state's branches over all of them);
    - each action judged in the order given by `_judge`, the single gate's own code: an action sees the
      contacts the batch allowed before it for the same borrower (its caps count them), as it would had
      the single gate been called for each in turn;
    - every decision, contact, evidence link and chain head written in one statement, with the
      statements `then` builds from the answers (the caller's messages and job updates).

    All the actions are judged at one time: the time they give (the same for all), else now, read once
    the locks are granted. Outbound only. Answers in the order of `actions`; an action the single gate
    would refuse as input gets that ValidationError as its answer. Not PostgreSQL: one single-gate call
    after another (the ids drawn in one statement are PostgreSQL's), `then`'s statements run one by one.
    """
    then = then or (lambda _answers: [])
    if any(a.direction != Direction.OUTBOUND for a in actions):
        raise ValueError("The batched gate judges outbound actions only.")
    times = {a.at for a in actions}
    if len(times) > 1:
        raise ValueError("The actions of a batch are judged at one time.")
    if connection.vendor != "postgresql":
        return _authorize_one_by_one(actions, actor, then)
    answers: list[BatchAnswer | None] = [None] * len(actions)
    valid: list[tuple[int, OutreachAction]] = []
    for i, action in enumerate(actions):
        if action.case is not None and action.loan is None:
            action = replace(action, loan=action.case.loan)
        try:
            _validate(action, actor)
        except ValidationError as exc:
            answers[i] = exc
            continue
        valid.append((i, action))
    with transaction.atomic():
        states = lock_borrowers([action.borrower.pk for _i, action in valid]) if valid else {}
        at = times.pop() if times else None
        at = at or timezone.now()
        rules = {bid: _packs_of(state) for bid, state in states.items()}
        reserved = (
            read_states(
                list(states.values()),
                at=at,
                history_days=max(r.history_days for r in rules.values()),
                last_calls=max(r.last_calls for r in rules.values()),
                reserve=len(valid),
            )
            if valid
            else []
        )
        for bid, state in states.items():  # read as wide as the widest pack of the batch asks
            state.last_call_outcomes = state.last_call_outcomes[: max(rules[bid].last_calls, 0)]
        judged: list[tuple[OutreachAction, Decision, ContactAttempt | None]] = []
        for (i, action), (decision_id, contact_id) in zip(valid, reserved, strict=True):
            state = states[action.borrower.pk]
            try:
                action, verdict, decision, contact = _judge(state, rules[state.id], action, actor, at)
            except ValidationError as exc:
                answers[i] = exc
                continue
            metrics.decision_recorded(decision)
            rawsql.saved(decision, decision_id)
            if contact is not None:
                contact.decision = decision
                rawsql.saved(contact, contact_id)
                state.log.append(_pending_entry(contact))  # what the next action of this borrower counts
            judged.append((action, decision, contact))
            answers[i] = GateResult(
                verdict.allowed, decision, contact, _reason_dicts(verdict), decision.next_allowed_at
            )
        done = [a for a in answers if a is not None]
        assert len(done) == len(answers)
        statements = then(done)
        if judged:
            statements = _batch_writes(states, judged) + statements
        if statements:
            rawsql.execute_together(statements)
        for action, decision, contact in judged:
            if contact is not None:
                _schedule_validation(states[decision.borrower_id], rules[decision.borrower_id], action, decision)
    return done


def _batch_writes(
    states: dict[int, BorrowerState], judged: list[tuple[OutreachAction, Decision, ContactAttempt | None]]
) -> list[Statement]:
    """The batch's decisions, contacts, evidence links and chain heads, as statements to run as one.

    The links are chained per borrower in the order the actions were judged, each from the head the
    previous one left (read under the lock), exactly as single-gate calls one after another would."""
    decisions = [decision for _a, decision, _c in judged]
    contacts = [contact for _a, _d, contact in judged if contact is not None]
    # The inserts first: they fill the creation times the evidence rows hash.
    insert, facts = _decisions_insert(decisions)
    statements = [insert]
    if contacts:
        statements.append(rawsql.prepare_insert(*contacts, with_pk=True))
    links = []
    heads = {}
    for (_action, decision, contact), text in zip(judged, facts, strict=True):
        state = states[decision.borrower_id]
        new = evidence.chain_links(state.id, _evidence_items(decision, contact, text), head=state.evidence_head)
        state.evidence_head = (new[-1].seq, new[-1].chain_hash)
        links += new
        heads[state.id] = new[-1]
    statements += [rawsql.prepare_insert(*links), evidence.head_upsert(*heads.values())]
    return statements


def _authorize_one_by_one(
    actions: list[OutreachAction], actor: Actor, then: Callable[[list[BatchAnswer]], list[Statement]]
) -> list[BatchAnswer]:
    answers: list[BatchAnswer] = []
    with transaction.atomic():
        for action in actions:
            try:
                answers.append(outreach_authorize(action=action, actor=actor))
            except ValidationError as exc:
                answers.append(exc)
        with connection.cursor() as cursor:
            for sql, params in then(answers):
                cursor.execute(sql, params)
    return answers


def non_overridable_codes() -> set[str]:
    kinds = packs.active_params("COMMON")["non_overridable_holds"]
    # A debt disputed within its validation period is collected again only once verification is
    # recorded (12 CFR 1006.38(d)(2)): recording it is the way through, not an override.
    return {f"hold_{kind}" for kind in kinds} | {"validation_dispute"}


# How far an action's time may lie before its evaluation for it to count as a live action (an override
# of a live action happens now; an override of an after-the-fact report keeps the reported time).
_LIVE_SKEW = dt.timedelta(minutes=5)


def decision_override(*, decision: Decision, actor: Actor, reason: str) -> GateResult:
    """A supervisor lets one blocked action through, with a written reason. The override is a decision
    too (allowed, override_of set, the rules re-evaluated and recorded as they stood), and it writes the
    pending contact attempt. Holds of kind cease, attorney, bankruptcy, deceased and breathing space
    can never be overridden.
    """
    if actor.kind != ActorKind.USER or not getattr(actor.user, "is_supervisor", False):
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
        live = decision.evaluated_at - decision.at < _LIVE_SKEW
        at = timezone.now() if live else decision.at
        # The decision with what its action names, in one query.
        recorded = Decision.objects.select_related("borrower", "third_party", "loan", "case").get(pk=decision.pk)
        action = OutreachAction.of_decision(recorded, at=at)
        rules = _read_locked(locked, at)
        facts, verdict = _evaluate_locked(borrower=locked, rules=rules, action=action)
        if forbidden.intersection(r.code for r in verdict.reasons):
            raise _fail("decision", "Blocked by a hold that cannot be overridden.")
        new = _new_decision(
            borrower=locked,
            action=action,
            actor=actor,
            facts=facts,
            verdict=verdict,
            allowed=True,
            rules=rules,
            override_of=decision,
            override_reason=reason,
        )
        contact = _new_contact(borrower=locked, action=action, actor=actor, decision=new)
        _save(locked, new, contact)
        _schedule_validation(locked, rules, action, new)
    return GateResult(True, new, contact, _reason_dicts(verdict), None)
