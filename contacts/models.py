from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import case_filter, principal_platform
from borrowers.models import Channel
from cases.models import Case


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class Party(models.TextChoices):
    BORROWER = "borrower", _("Borrower")
    THIRD_PARTY = "third_party", _("Third party")


class Outcome(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    VOICEMAIL = "voicemail", _("Voicemail")
    CONNECTED = "connected", _("Connected")
    RIGHT_PARTY = "right_party", _("Right party contact")
    PROMISE = "promise", _("Promise to pay")
    REFUSED = "refused", _("Refused")
    DISPUTE = "dispute", _("Dispute")
    THIRD_PARTY_REACHED = "third_party_reached", _("Third party reached")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


CONVERSATION_OUTCOMES = frozenset({"connected", "right_party", "promise", "refused", "dispute"})
UNANSWERED_OUTCOMES = frozenset({"no_answer", "busy", "voicemail", "wrong_number", "failed"})


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    PLATFORM = "platform", _("Platform")
    SCHEDULER = "scheduler", _("Scheduler")


class AppendOnlyError(Exception):
    """Raised on any attempt to edit or delete a record of the contact log."""


def visible_case_records(queryset: Any, principal: Any) -> Any:
    """`visible_to` for records of the contact log and the gate (contacts, decisions): a platform sees
    its own; a user the records about a case they may see, or, without a case, about a borrower of one."""
    platform = principal_platform(principal)
    if platform is not None:
        return queryset.filter(platform=platform)
    condition = case_filter(principal)
    if condition is None:
        return queryset
    cases = Case.objects.filter(condition)
    return queryset.filter(
        Q(case__in=cases.values("pk")) | Q(case__isnull=True, borrower__in=cases.values("borrower_id"))
    )


class ContactAttemptQuerySet(models.QuerySet):
    def visible_to(self, principal) -> ContactAttemptQuerySet:
        return visible_case_records(self, principal)

    def update(self, **kwargs):
        raise AppendOnlyError("The contact log is append-only; record an outcome with record_outcome().")

    def delete(self):
        raise AppendOnlyError("The contact log is append-only.")

    def pending(self) -> ContactAttemptQuerySet:
        return self.filter(outcome="")


class ContactAttempt(models.Model):
    """One outreach action or inbound contact. Written by the compliance gate; never edited.

    An outbound attempt is written *pending* (empty outcome) when the gate allows it; its outcome is
    recorded exactly once afterwards.
    """

    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="+")
    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="contacts")
    loan = models.ForeignKey("cases.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    party = models.CharField(_("party"), max_length=12, choices=Party.choices, default=Party.BORROWER)
    third_party = models.ForeignKey(
        "borrowers.ThirdParty", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    to = models.CharField(_("number or address"), max_length=254, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    at = models.DateTimeField(_("at"))
    duration_s = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    message = models.TextField(_("message"), blank=True)
    autodialed = models.BooleanField(default=False)
    consented = models.BooleanField(default=False)
    collectors = models.PositiveSmallIntegerField(null=True, blank=True)
    # A visit (or call) made at the borrower's workplace: US-WA counts these separately.
    at_work = models.BooleanField(default=False)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_platform = models.ForeignKey(
        "accounts.Platform", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.OneToOneField(
        "compliance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="contact"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # The call script's disclosures shown when the call started, each with whether the collector ticked
    # it as read ([{"code", "text", "required", "read"}], outreach.call_scripts); written once, with the
    # outcome, and scored by quality review.
    disclosures = models.JSONField(_("disclosures"), default=list, blank=True)

    objects = ContactAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["borrower", "channel", "at"], name="contact_borrower_channel_at"),
            # The gate reads one borrower's recent log on every decision.
            models.Index(fields=["borrower", "at"], name="contact_borrower_at"),
            models.Index(fields=["to", "at"], name="contact_to_at"),
            models.Index(fields=["loan", "at"], name="contact_loan_at"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_outcome_write", False):
            raise AppendOnlyError("The contact log is append-only; record an outcome with record_outcome().")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The contact log is append-only.")

    @property
    def is_pending(self) -> bool:
        return self.direction == Direction.OUTBOUND and not self.outcome
