"""Write paths of the contact log. Outbound attempts are written by the compliance gate
(`compliance.services.outreach_authorize`); here: inbound contacts and the one-time outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Platform, User
from borrowers.locks import borrower_lock_held
from borrowers.models import Borrower, Channel, Phone, ThirdParty
from borrowers.validators import normalise_to
from cases.models import Case, Loan

from .models import ContactAttempt, Direction, Outcome, Party


class OutcomeAlreadyRecorded(ValidationError):
    pass


def contact_record_outcome(
    *,
    contact: ContactAttempt,
    outcome: str,
    duration_s: int | None = None,
    notes: str = "",
    disclosures: list[dict[str, Any]] | None = None,
) -> ContactAttempt:
    """Record the outcome of a pending outbound attempt, exactly once.

    The row is locked and re-read, so a second (or concurrent) recording fails instead of overwriting
    the first. It is written with save(_outcome_write=True), the model's one escape hatch, so that
    post_save listeners (the evidence chain) see the outcome. `disclosures`: what the call script
    asked to be read and what was (outreach.call_scripts.disclosures_delivered).
    """
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [f"Unknown outcome {outcome!r}."]})
    with transaction.atomic():
        row = ContactAttempt.objects.select_for_update().get(pk=contact.pk)
        if row.direction != Direction.OUTBOUND or row.outcome:
            raise OutcomeAlreadyRecorded({"outcome": ["The outcome of this contact has already been recorded."]})
        row.outcome = outcome
        row.outcome_at = timezone.now()
        fields = ["outcome", "outcome_at"]
        if duration_s is not None:
            row.duration_s = duration_s
            fields.append("duration_s")
        if notes:
            row.notes = notes
            fields.append("notes")
        if disclosures:
            row.disclosures = disclosures
            fields.append("disclosures")
        row.save(_outcome_write=True, update_fields=fields)
        if outcome == Outcome.WRONG_NUMBER:
            _phone_mark_wrong_number(row)
    return row


def _phone_mark_wrong_number(contact: ContactAttempt) -> None:
    """A call or SMS to the borrower that reached someone else: the number is not the borrower's, so
    nothing dials it again (the lost-contact check of the escalation run sees it). A third party's number
    is not the borrower's phone and stays as it is."""
    if contact.party != Party.BORROWER or contact.channel not in (Channel.CALL, Channel.SMS) or not contact.to:
        return
    # save() rather than update(): phones keep their simple-history trail.
    phones = Phone.objects.filter(borrower_id=contact.borrower_id, invalid=False).select_related("borrower")
    for phone in phones:
        if normalise_to(phone.number, channel=contact.channel, region=phone.borrower.region) == contact.to:
            phone.invalid = True
            phone.save(update_fields=["invalid"])


def contact_record_inbound(
    *,
    borrower: Borrower,
    channel: str,
    to: str = "",
    party: str = Party.BORROWER,
    third_party: ThirdParty | None = None,
    loan: Loan | None = None,
    case: Case | None = None,
    at: dt.datetime | None = None,
    outcome: str = "",
    duration_s: int | None = None,
    notes: str = "",
    message: str = "",
    disclosures: list[dict[str, Any]] | None = None,
    actor_kind: str,
    actor_user: User | None = None,
    actor_platform: Platform | None = None,
) -> ContactAttempt:
    """Record a contact the borrower (or a third party) started. Never blocked: the rules only count it.

    It takes the same borrower lock as the gate, so an inbound conversation and a concurrent outbound
    decision see each other in a definite order. `disclosures`: the call script's statements and whether
    each was read (outreach.call_scripts), as on an outbound call's outcome.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": [f"Unknown channel {channel!r}."]})
    if outcome and outcome not in Outcome.values:
        raise ValidationError({"outcome": [f"Unknown outcome {outcome!r}."]})
    if case is not None and loan is None:
        loan = case.loan
    with transaction.atomic():
        locked = Borrower.objects.select_for_update(of=("self",)).select_related("platform").get(pk=borrower.pk)
        with borrower_lock_held(locked.pk):
            return ContactAttempt.objects.create(
                platform=locked.platform,
                borrower=locked,
                loan=loan,
                case=case,
                channel=channel,
                direction=Direction.INBOUND,
                party=party,
                third_party=third_party,
                to=normalise_to(to, channel=channel, region=locked.region),
                outcome=outcome,
                outcome_at=timezone.now() if outcome else None,
                at=at or timezone.now(),
                duration_s=duration_s,
                notes=notes,
                message=message,
                disclosures=disclosures or [],
                actor_kind=actor_kind,
                actor_user=actor_user,
                actor_platform=actor_platform,
            )
