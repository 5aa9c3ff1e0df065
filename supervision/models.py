"""Supervision: agency contracts and quality review."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Role
from accounts.roles import case_filter, principal_platform
from contacts.models import ContactAttempt


class AgencyContract(models.Model):
    """The terms under which the lender works with an outside agency."""

    agency = models.OneToOneField("accounts.Agency", on_delete=models.CASCADE, related_name="contract")
    commission_percent = models.DecimalField(
        _("commission %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    evaluation_due_on = models.DateField(_("yearly evaluation due on"))
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency contract")
        verbose_name_plural = _("agency contracts")

    def __str__(self) -> str:
        return f"{self.agency} ({self.commission_percent}%)"


class SampleReason(models.TextChoices):
    OVERRIDE = "override", _("Blocked, then overridden")
    COLLECTOR_SHARE = "collector_share", _("Share of the collector's calls")


def reviewable_contacts(principal: Any) -> models.QuerySet[ContactAttempt]:
    """The contacts whose QA samples and scorecards a user sees, and which they may sample: the contact
    log they may see (`ContactAttempt.objects.visible_to`); for a team supervisor only the calls of
    their own team's members and of agency collectors (agency placements are every supervisor's), never
    another team's scorecards. A platform key sees none: quality review has no API."""
    if principal_platform(principal) is not None:
        return ContactAttempt.objects.none()
    contacts = ContactAttempt.objects.visible_to(principal)
    if getattr(principal, "role", None) == Role.SUPERVISOR and principal.team_id and not principal.is_superuser:
        contacts = contacts.filter(Q(actor_user__team_id=principal.team_id) | Q(actor_user__role=Role.AGENCY_COLLECTOR))
    return contacts


def _sees_every_scorecard(principal: Any) -> bool:
    # Whoever sees every case (administrators, compliance, a supervisor without a team) sees every call.
    return principal_platform(principal) is None and case_filter(principal) is None


class QualitySampleQuerySet(models.QuerySet):
    def visible_to(self, principal: Any) -> QualitySampleQuerySet:
        if _sees_every_scorecard(principal):
            return self
        return self.filter(contact__in=reviewable_contacts(principal).values("pk"))


class QualityReviewQuerySet(models.QuerySet):
    def visible_to(self, principal: Any) -> QualityReviewQuerySet:
        if _sees_every_scorecard(principal):
            return self
        return self.filter(sample__contact__in=reviewable_contacts(principal).values("pk"))


class QualitySample(models.Model):
    """A contact picked for quality review, and why it was picked."""

    contact = models.OneToOneField("contacts.ContactAttempt", on_delete=models.PROTECT, related_name="quality_sample")
    reason = models.CharField(_("reason"), max_length=20, choices=SampleReason.choices)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = QualitySampleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quality sample")
        verbose_name_plural = _("quality samples")

    def __str__(self) -> str:
        return f"{self.contact_id} ({self.reason})"


class QualityReview(models.Model):
    """The scorecard of one sampled contact."""

    TONE_CHOICES = [(i, str(i)) for i in range(1, 6)]

    sample = models.OneToOneField(QualitySample, on_delete=models.CASCADE, related_name="review")
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    identity_verified = models.BooleanField(_("identity verified"))
    disclosure_made = models.BooleanField(_("disclosure made"))
    tone = models.PositiveSmallIntegerField(
        _("tone (1-5)"), choices=TONE_CHOICES, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    no_prohibited_content = models.BooleanField(_("no prohibited content"))
    correct_outcome = models.BooleanField(_("correct outcome recorded"))
    comment = models.TextField(_("comment"), blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    reviewed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    objects = QualityReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")

    def __str__(self) -> str:
        return f"{self.sample_id}: {self.score}"

    def compute_score(self) -> int:
        """0-100: the four yes/no checks weigh 20 each, tone the last 20 (1 → 0, 5 → 20).

        Prohibited content is a hard fail: a call that threatened or insulted scores 0 whatever else
        went well, because a regulator reads it that way.
        """
        if not self.no_prohibited_content:
            return 0
        checks = [self.identity_verified, self.disclosure_made, self.no_prohibited_content, self.correct_outcome]
        return 20 * sum(checks) + (self.tone - 1) * 5
