from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import case_filter
from cases.models import Case

ZERO = Decimal("0.00")


def default_promise_grace_days() -> int:
    return settings.PROMISE_GRACE_DAYS


def default_plan_grace_days() -> int:
    return settings.PLAN_GRACE_DAYS


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTLY_KEPT = "partly_kept", _("Partly kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class Promise(models.Model):
    """A promise to pay an amount by a date. Its status is decided by the payment feed.

    `partly_kept` with no `resolved_at` means "some money came, the window is still open"; once the
    grace period has passed, `resolved_at` is set and the status is final.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="promises")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    paid_amount = models.DecimalField(_("paid amount"), max_digits=14, decimal_places=2, default=0)
    # Copied from settings when the promise is made, so that changing the setting later does not
    # retroactively break (or rescue) promises already given.
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=default_promise_grace_days)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_platform = models.ForeignKey(
        "accounts.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-due_date", "-id"]
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        indexes = [
            models.Index(fields=["due_date"], name="promise_open_due", condition=Q(resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.due_date}"

    @property
    def deadline(self) -> dt.date:
        """The last day a payment still counts for this promise."""
        return self.due_date + dt.timedelta(days=self.grace_days)


class PromisePayment(models.Model):
    """The part of a payment that counted towards a promise. One row per (promise, payment): replays add nothing."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey("cases.Payment", on_delete=models.PROTECT, related_name="promise_credits")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["promise", "payment"], name="uniq_promise_payment")]


class PlanKind(models.TextChoices):
    INSTALLMENT = "installment", _("Installment plan")
    DEFERRAL = "deferral", _("Deferral")
    SETTLEMENT = "settlement", _("Settlement")
    WAIVER = "waiver", _("Interest or fee waiver")


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


# A case has at most one plan in these states: the database enforces it (see Plan.Meta).
OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.PENDING_APPROVAL, PlanStatus.ACTIVE)


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class PlanQuerySet(models.QuerySet):
    def visible_to(self, principal) -> PlanQuerySet:
        """The plans of the cases a principal may see (`Case.objects.visible_to`)."""
        if case_filter(principal) is None:
            return self
        return self.filter(case__in=Case.objects.visible_to(principal).values("pk"))


class Plan(models.Model):
    """A repayment plan agreed with the borrower: its terms, its own schedule and its lifecycle.

    The loan's installments stay the legal ledger; the plan's schedule (PlanInstallment) is what the
    borrower agreed to pay and is filled by payments on the loan made after activation.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="plans")
    kind = models.CharField(_("kind"), max_length=12, choices=PlanKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.PROPOSED)
    currency = models.CharField(_("currency"), max_length=3)
    # The loan's outstanding when the plan was proposed, from its installments.
    balance = models.DecimalField(_("balance at proposal"), max_digits=14, decimal_places=2)
    # What the borrower pays under the plan: the sum of the schedule, to the cent.
    total_amount = models.DecimalField(_("plan total"), max_digits=14, decimal_places=2)
    # Forgiven when the plan completes (settlement) or at activation (waiver); zero otherwise.
    discount_amount = models.DecimalField(_("discount"), max_digits=14, decimal_places=2, default=ZERO)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=ZERO)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=0)
    installment_count = models.PositiveSmallIntegerField(_("installments"), default=1)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY, blank=True
    )
    first_due_date = models.DateField(_("first due date"))
    waive_interest = models.BooleanField(_("waive interest"), default=False)
    waive_fees = models.BooleanField(_("waive fees"), default=False)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=default_plan_grace_days)
    reason = models.TextField(_("reason"), blank=True)
    # 0: within the proposer's limits; 1 or more: approvals still needed before activation.
    approvals_required = models.PositiveSmallIntegerField(default=0)

    proposed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposed_plans"
    )
    proposed_by_platform = models.ForeignKey(
        "accounts.Platform", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(_("why it ended"), blank=True)
    # Amount actually written to Installment.waived, so that forgiveness is applied once.
    waived_applied = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    agreement_language = models.CharField(_("agreement language"), max_length=10, blank=True)
    agreement_pdf = models.FileField(_("agreement (PDF)"), upload_to="agreements/%Y/%m/", blank=True)
    agreement_generated_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("repayment plan")
        verbose_name_plural = _("repayment plans")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["proposed", "pending_approval", "active"]),
                name="one_open_plan_per_case",
            ),
            models.CheckConstraint(condition=Q(total_amount__gt=0), name="plan_total_positive"),
            models.CheckConstraint(
                condition=Q(total_amount__lte=models.F("balance")), name="plan_total_within_balance"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="plan_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def paid_amount(self) -> Decimal:
        return sum((i.paid_amount for i in self.installments.all()), ZERO)


class PlanInstallment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), max_digits=14, decimal_places=2, default=ZERO)
    paid_at = models.DateTimeField(_("paid in full at"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "seq"]
        verbose_name = _("plan installment")
        verbose_name_plural = _("plan installments")
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="uniq_plan_installment_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_installment_positive"),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=models.F("amount")),
                name="plan_installment_paid_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.seq} {self.amount} {self.due_date}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid_amount


class PlanPayment(models.Model):
    """The part of a payment applied to a plan installment. Unique per (installment, payment): replays add nothing."""

    installment = models.ForeignKey(PlanInstallment, on_delete=models.CASCADE, related_name="payments")
    payment = models.ForeignKey("cases.Payment", on_delete=models.PROTECT, related_name="plan_credits")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["installment", "payment"], name="uniq_plan_installment_payment"),
        ]


class PlanWaiver(models.Model):
    """An amount forgiven on one loan installment because of a plan (written to Installment.waived)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="waivers")
    installment = models.ForeignKey("cases.Installment", on_delete=models.PROTECT, related_name="plan_waivers")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PlanApproval(models.Model):
    """One approver's decision on a plan beyond its proposer's limits. Never edited."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="approvals")
    level = models.PositiveSmallIntegerField(_("level"))
    decision = models.CharField(_("decision"), max_length=10, choices=ApprovalDecision.choices)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    # What the approver saw: the terms may not change afterwards, but the record says so anyway.
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2)
    term_months = models.PositiveSmallIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "at", "id"]
        verbose_name = _("plan approval")
        verbose_name_plural = _("plan approvals")
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="one_decision_per_approver")]


class AgreementDispatch(models.Model):
    """One attempt to send a plan's written agreement through the compliance gate."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        QUEUED_FOR_PRINT = "queued_for_print", _("Queued for printing")
        BLOCKED = "blocked", _("Blocked by compliance")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="dispatches")
    channel = models.CharField(_("channel"), max_length=10)
    to = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    decision_id = models.BigIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
