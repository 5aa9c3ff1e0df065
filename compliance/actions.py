"""What the gate is asked about, as values: an outreach action and who takes it.

Pages, the platform API, the scheduler and the agreement sender each describe their action once
(`OutreachAction`) and name who acts (`Actor`); `outreach_authorize(action=..., actor=...)` judges it.
A supervisor's override replays the action a decision recorded (`OutreachAction.of_decision`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts.models import Platform, User
from borrowers.models import Borrower, ThirdParty
from cases.models import Case, Loan
from contacts.models import ActorKind, Direction, Party

from .facts import build_action
from .models import Decision


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes an action: a user (collector, supervisor), a platform over the API, or the scheduler."""

    kind: str
    user: User | None = None
    platform: Platform | None = None

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(ActorKind.USER, user=user)

    @classmethod
    def of_platform(cls, platform: Platform) -> Actor:
        return cls(ActorKind.PLATFORM, platform=platform)

    @classmethod
    def scheduler(cls) -> Actor:
        return cls(ActorKind.SCHEDULER)

    def as_fields(self) -> dict[str, Any]:
        """The actor columns of a decision or a contact (the kind as a plain string: psycopg looks an
        enum's adapter up through its classes on every statement)."""
        return {"actor_kind": str(self.kind), "actor_user": self.user, "actor_platform": self.platform}


@dataclass(frozen=True, slots=True)
class OutreachAction:
    """One outreach action to a borrower (or one of their third parties).

    An outbound action is judged; an inbound one (the borrower called us) is recorded, never judged.
    `outcome`, `duration_s`, `notes` and `disclosures` come with a dialer's report after the fact; `dry_run` records
    the decision and reserves nothing.
    """

    borrower: Borrower
    channel: str
    # None: the borrower's first valid number or address for the channel (or the third party's phone).
    to: str | None = None
    party: str = Party.BORROWER
    third_party: ThirdParty | None = None
    # None with a case: the case's loan.
    loan: Loan | None = None
    case: Case | None = None
    # None: now, read once the borrower's lock is granted (live actions are timed in lock order).
    at: dt.datetime | None = None
    message: str = ""
    collectors: int | None = None
    autodialed: bool = False
    consented: bool = False
    at_work: bool = False
    direction: str = Direction.OUTBOUND
    outcome: str = ""
    duration_s: int | None = None
    notes: str = ""
    # The call script's disclosures as delivered (outreach.call_scripts): written on the contact with it.
    disclosures: tuple[dict[str, Any], ...] = ()
    dry_run: bool = False

    @classmethod
    def of_decision(cls, decision: Decision, *, at: dt.datetime) -> OutreachAction:
        """The action a decision judged, judged again at `at` (its target as the decision resolved it)."""
        recorded = decision.facts.get("action", {})
        action = cls(
            borrower=decision.borrower,
            channel=decision.channel,
            to=decision.to,
            party=decision.party,
            third_party=decision.third_party,
            loan=decision.loan,
            case=decision.case,
            at=at,
            message=recorded.get("message", ""),
            collectors=recorded.get("collectors"),
            autodialed=recorded.get("autodialed", False),
            consented=recorded.get("consented", False),
            at_work=recorded.get("at_work", False),
        )
        return action.judged(to=decision.to, at=at)

    def judged(self, *, to: str, at: dt.datetime) -> OutreachAction:
        """The action as the gate judges and records it: its target resolved and normalised, its time
        fixed (in UTC), its choices plain strings and its flags plain booleans."""
        return OutreachAction(  # not dataclasses.replace: twice the cost, on the gate's hot path
            borrower=self.borrower,
            channel=str(self.channel),
            to=to,
            party=str(self.party),
            third_party=self.third_party,
            loan=self.loan,
            case=self.case,
            at=at.astimezone(dt.UTC),
            message=self.message or "",
            collectors=self.collectors,
            autodialed=bool(self.autodialed),
            consented=bool(self.consented),
            at_work=bool(self.at_work),
            direction=str(self.direction),
            outcome=self.outcome,
            duration_s=self.duration_s,
            notes=self.notes,
            disclosures=self.disclosures,
            dry_run=self.dry_run,
        )

    def as_fact(self) -> dict[str, Any]:
        """The judged action as the decision's facts store it (what the rules and a replay read)."""
        if self.to is None or self.at is None:
            raise ValueError("Only a judged action (OutreachAction.judged) has facts.")
        return build_action(
            channel=self.channel,
            party=self.party,
            to=self.to,
            third_party=self.third_party,
            loan=self.loan,
            case_id=self.case.pk if self.case else None,
            at=self.at,
            message=self.message,
            collectors=self.collectors,
            autodialed=self.autodialed,
            consented=self.consented,
            at_work=self.at_work,
            outcome=self.outcome or "",
        )
