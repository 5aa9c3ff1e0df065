"""Append evidence links as decisions and contacts are written.

The receivers run inside the writer's transaction (the gate's), so a link commits if and only if
its record does.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from borrowers.models import Hold
from contacts.models import ContactAttempt

from . import evidence, validation
from .models import Decision


@receiver(post_save, sender=Decision, dispatch_uid="compliance_link_decision")
def link_decision(sender: type[Decision], instance: Decision, created: bool, raw: bool = False, **kwargs: Any) -> None:
    # Fixtures loaded with loaddata (raw) are not new evidence; backfill links them if wanted.
    if created and not raw:
        evidence.link_decision(instance)


@receiver(post_save, sender=ContactAttempt, dispatch_uid="compliance_link_contact")
def link_contact(
    sender: type[ContactAttempt], instance: ContactAttempt, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    if created:
        evidence.link_contact(instance, just_created=True)
    else:
        # The only save allowed after creation records the outcome.
        evidence.link_contact_outcome(instance)


@receiver(post_save, sender=Hold, dispatch_uid="compliance_validation_dispute")
def hold_disputes_validation(
    sender: type[Hold], instance: Hold, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    # Every path that records a dispute (a collector's form, the API, the borrower portal) writes a Hold:
    # one inside a validation period holds collection until verification (compliance.validation).
    if created and not raw:
        validation.record_dispute(instance)
