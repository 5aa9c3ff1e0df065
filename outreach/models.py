"""Staged reminders: templates, strategies and their steps, reminder jobs, outbound messages, collector
tasks, supervisor alerts and collector capacity.

A reminder job is a database row, never a Celery ETA task: beat-driven dispatch claims due rows, the
compliance gate decides, a channel gateway sends, and the unique key (case, step, due date) makes a
second send of the same reminder impossible.
"""

from __future__ import annotations

import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import case_filter
from borrowers.models import Borrower
from cases.models import Stage
from compliance.packs import PACK_CODES
from compliance.screening import screen_text

from .labels import strategy_label, template_label
from .rendering import screen_template, template_errors


class StepChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    CALL = "call", _("Robot call")
    LETTER = "letter", _("Letter")
    TASK = "task", _("Collector call task")
    PLACEMENT = "placement", _("Legal referral / agency placement")
    PUSH = "push", _("App push")


# Channels that reach the borrower and therefore pass the compliance gate; `task` and `placement`
# put work in front of a person, whose own contact later passes the gate.
MESSAGE_CHANNELS = frozenset(
    {StepChannel.SMS, StepChannel.EMAIL, StepChannel.CALL, StepChannel.LETTER, StepChannel.PUSH}
)

LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]


class MessageTemplate(models.Model):
    """The words of one reminder in one language. Screened for prohibited content on save."""

    code = models.SlugField(_("code"), max_length=60)
    channel = models.CharField(_("channel"), max_length=10, choices=StepChannel.choices)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(
        _("body"), help_text=_("Placeholders: {borrower_name} {amount} {currency} {due_date} {dpd} {loan_ref} …")
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [models.UniqueConstraint(fields=["code", "language"], name="uniq_template_code_language")]

    def __str__(self) -> str:
        return f"{self.code} [{self.language}]"

    @property
    def label(self) -> str:
        """Its name in the reader's language (a seeded template's; otherwise its code)."""
        return template_label(self.code)

    def placeholders(self) -> set[str]:
        """The placeholders named in the subject and body (ValueError for an unbalanced brace)."""
        found: set[str] = set()
        for text in (self.subject, self.body):
            found |= {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        return found

    def clean(self) -> None:
        # Rendered with every placeholder at its longest: what passes renders for every case, within the
        # channel's length (outreach.rendering.template_errors).
        errors = template_errors(subject=self.subject or "", body=self.body or "", channel=self.channel)
        if errors:
            raise ValidationError(errors)

        findings = screen_template(self)
        if findings:
            raise ValidationError({"body": [str(f) for f in findings]})


class StrategyKind(models.TextChoices):
    DELINQUENCY = "delinquency", _("Delinquency staging")
    PLAN = "plan", _("Repayment plan reminders")


class Strategy(models.Model):
    """Which reminder steps apply to a case. The most specific active match wins: a humane variant for a
    vulnerable borrower over any other, a platform's own strategy over the default (platform empty), a
    product match over any, a segment match over any.

    A `plan` strategy is not matched to cases: its steps are offsets from the due dates of an active
    repayment plan's own installments, and replace the delinquency strategy while the plan is active."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=StrategyKind.choices, default=StrategyKind.DELINQUENCY)
    platform = models.ForeignKey(
        "accounts.Platform",
        verbose_name=_("platform"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="strategies",
        help_text=_("Empty: the default for every platform."),
    )
    product = models.CharField(_("product"), max_length=20, blank=True, help_text=_("Empty: any product."))
    risk_segment = models.CharField(
        _("risk segment"), max_length=10, blank=True, help_text=_("Empty: any risk segment.")
    )
    # A humane variant: governs the cases of vulnerable borrowers (a declared vulnerability, or 65+),
    # and is preferred over every strategy that is not one (outreach.planning).
    vulnerable = models.BooleanField(
        _("for vulnerable borrowers"),
        default=False,
        help_text=_("Only for vulnerable borrowers, and preferred for them over any other match."),
    )
    active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            # Two active strategies for the same slice would make the choice arbitrary.
            models.UniqueConstraint(
                fields=["kind", "platform", "product", "risk_segment", "vulnerable"],
                condition=Q(active=True),
                name="uniq_active_strategy_slice",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Its name in the reader's language (a seeded strategy's; otherwise the name it was given)."""
        return strategy_label(self.name)

    @property
    def specificity(self) -> int:
        """The order of preference: a humane variant first, then platform, product, segment."""
        return (
            (8 if self.vulnerable else 0)
            + (4 if self.platform_id else 0)
            + (2 if self.product else 0)
            + (1 if self.risk_segment else 0)
        )


class StrategyStep(models.Model):
    """One reminder: `offset_days` relative to the due date of the oldest unpaid installment."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="steps")
    offset_days = models.IntegerField(_("offset (days)"), help_text=_("Negative: before the due date (T-3 = -3)."))
    # A window, not a day: the step applies from `offset_days` through `until_days`, so a case that enters
    # late in the range (at DPD 5 of a DPD 1–7 robot call) still gets it, once (outreach.planning).
    until_days = models.IntegerField(
        _("until (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Last day of the step's window (DPD 1–7: offset 1, until 7). Empty: until the next later step's day."
        ),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=StepChannel.choices)
    # Champion/challenger (outreach.experiments): a challenger arm's own step reaches only the cases assigned
    # to that arm; the strategy's own steps (no arm) are its champion's.
    arm = models.ForeignKey(
        "StrategyArm",
        verbose_name=_("challenger arm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="steps",
        help_text=_("Empty: the strategy's own step (its champion's)."),
    )
    template_code = models.SlugField(
        _("template code"), max_length=60, blank=True, help_text=_("Message template, in the borrower's language.")
    )
    conditions = models.JSONField(
        _("conditions"),
        default=dict,
        blank=True,
        help_text='{"no_payment_since_days": 3, "no_response": true, "response_window_days": 7}',
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["strategy", "offset_days", "id"]
        verbose_name = _("strategy step")
        verbose_name_plural = _("strategy steps")

    def __str__(self) -> str:
        return f"{self.day_label} {self.get_channel_display()}"

    @staticmethod
    def _label(days: int) -> str:
        if days < 0:
            return f"T{days}"
        return f"+{days}" if days else "T0"

    @property
    def day_label(self) -> str:
        """T-3, T0, +8, or a window +1–+7: the vocabulary of the strategy tables."""
        if self.until_days is not None and self.until_days != self.offset_days:
            return f"{self._label(self.offset_days)}–{self._label(self.until_days)}"
        return self._label(self.offset_days)

    CONDITION_KEYS = frozenset({"no_payment_since_days", "no_response", "response_window_days"})

    def clean(self) -> None:
        if self.until_days is not None and self.offset_days is not None and self.until_days < self.offset_days:
            raise ValidationError({"until_days": _("The window cannot end before it starts.")})
        if self.arm is not None and self.strategy_id and self.arm.experiment.strategy_id != self.strategy_id:
            raise ValidationError({"arm": _("This arm belongs to another strategy's experiment.")})
        conditions: Any = self.conditions or {}
        if not isinstance(conditions, dict):
            raise ValidationError({"conditions": _("Conditions must be a JSON object.")})
        unknown = set(conditions) - self.CONDITION_KEYS
        if unknown:
            raise ValidationError({"conditions": _("Unknown conditions: %s") % ", ".join(sorted(unknown))})
        for key in ("no_payment_since_days", "response_window_days"):
            if key in conditions and (not isinstance(conditions[key], int) or conditions[key] < 0):
                raise ValidationError({"conditions": _("%s must be a whole number of days") % key})
        if self.channel in MESSAGE_CHANNELS:
            if not self.template_code:
                raise ValidationError({"template_code": _("A message step needs a template.")})
            if not MessageTemplate.objects.filter(code=self.template_code, active=True).exists():
                raise ValidationError({"template_code": _("No active template with this code.")})


class Experiment(models.Model):
    """Champion/challenger on one delinquency strategy: while open, its cases (those in `stage`, or all of
    them) are split over its arms by traffic share, each case assigned once, deterministically, and kept
    there (ArmAssignment). Every arm's steps are reminder jobs like any other, so each passes the
    compliance gate. Promoting an arm closes it (outreach.experiments.experiment_promote)."""

    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="experiments"
    )
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(
        _("stage"),
        max_length=10,
        blank=True,
        choices=Stage.choices,
        help_text=_("Cases are assigned to an arm while in this stage. Empty: every stage."),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_arm = models.ForeignKey(
        "StrategyArm",
        verbose_name=_("promoted arm"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("champion/challenger experiment")
        verbose_name_plural = _("champion/challenger experiments")
        constraints = [
            # Two open experiments on one strategy would split its cases twice.
            models.UniqueConstraint(
                fields=["strategy"], condition=Q(closed_at__isnull=True), name="one_open_experiment_per_strategy"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.strategy_id and self.strategy.kind != StrategyKind.DELINQUENCY:
            raise ValidationError({"strategy": _("Only a delinquency strategy can have challengers.")})


class StrategyArm(models.Model):
    """One arm of an experiment and its share of the traffic (percent; an experiment's shares sum to 100).
    The champion sends the strategy's own steps; a challenger its own (StrategyStep.arm)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.CharField(_("name"), max_length=100)
    share = models.PositiveSmallIntegerField(
        _("traffic share (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    champion = models.BooleanField(
        _("champion"), default=False, help_text=_("The champion sends the strategy's own steps; a challenger its own.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["experiment", "-champion", "id"]
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="uniq_arm_name"),
            models.UniqueConstraint(
                fields=["experiment"], condition=Q(champion=True), name="one_champion_per_experiment"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ArmAssignment(models.Model):
    """Which arm a case is in, decided once (a hash of the experiment and the case, outreach.experiments)
    and stored, so that a later change of shares moves no case already assigned."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="arm_assignments")
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    arm = models.ForeignKey(StrategyArm, on_delete=models.PROTECT, related_name="assignments")
    # The case's hash bucket (0–99): with the shares at the time, why it is in this arm.
    bucket = models.PositiveSmallIntegerField()
    assigned_at = models.DateTimeField(_("assigned at"))

    class Meta:
        verbose_name = _("arm assignment")
        verbose_name_plural = _("arm assignments")
        constraints = [models.UniqueConstraint(fields=["case", "experiment"], name="uniq_arm_assignment")]
        indexes = [models.Index(fields=["arm", "assigned_at"], name="arm_assignment_arm")]

    def __str__(self) -> str:
        return f"case {self.case_id} → {self.arm_id}"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Claimed")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    DEFERRED = "deferred", _("Deferred")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ReminderJob(models.Model):
    """One planned reminder step for one installment due date of one case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="reminder_jobs")
    step = models.ForeignKey(StrategyStep, on_delete=models.PROTECT, related_name="jobs")
    due_date = models.DateField(_("installment due date"))
    scheduled_for = models.DateTimeField(_("scheduled for"))
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    deferrals = models.PositiveIntegerField(_("deferrals"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        "compliance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="reminder_jobs"
    )
    contact = models.ForeignKey(
        "contacts.ContactAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="reminder_jobs"
    )
    skip_reason = models.CharField(_("skip reason"), max_length=200, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True)
    delivery_status = models.CharField(_("delivery status"), max_length=30, blank=True)
    # Times an operator put the failed job back in the queue (outreach.services.reminders_requeue): each
    # round is a new message with its own idempotency key, decided by the gate again.
    requeues = models.PositiveIntegerField(_("requeues"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_for", "id"]
        verbose_name = _("reminder job")
        verbose_name_plural = _("reminder jobs")
        constraints = [
            models.UniqueConstraint(fields=["case", "step", "due_date"], name="uniq_reminder_case_step_due"),
        ]
        indexes = [
            # The dispatcher's only query: due pending rows (and stale claimed ones) in time order.
            models.Index(
                fields=["scheduled_for"],
                name="reminder_due_pending",
                condition=Q(status__in=["pending", "deferred", "claimed"]),
            ),
            models.Index(fields=["case", "status"], name="reminder_case_status"),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} case {self.case_id} {self.step} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """Passed to the provider: a redelivered send of this job is recognised as the same message; a
        requeued job's new round is a new message."""
        return f"reminder-{self.pk}" if not self.requeues else f"reminder-{self.pk}-r{self.requeues}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    ABANDONED = "abandoned", _("Abandoned")


class OutboundMessage(models.Model):
    """What went (or was about to go) through a channel gateway. Written in the same transaction as
    the gate's decision, before the send, so a redelivered task finds it and never re-authorises."""

    job = models.OneToOneField(ReminderJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="message")
    idempotency_key = models.CharField(max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=StepChannel.choices)
    to = models.CharField(_("to"), max_length=254, blank=True)
    language = models.CharField(max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    # Indexed: a provider's delivery receipt names the message by it (outreach.callbacks).
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    error = models.TextField(_("error"), blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    contact = models.ForeignKey(
        "contacts.ContactAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    decision = models.ForeignKey(
        "compliance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the provider said the message reached the device or mailbox (or could not): its receipt's time.
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")

    def __str__(self) -> str:
        return f"{self.channel} to {self.to} ({self.status})"


class CallbackKind(models.TextChoices):
    RECEIPT = "receipt", _("Delivery receipt")
    REPLY = "reply", _("Inbound reply")


class ProviderCallback(models.Model):
    """One event a provider reported (a delivery receipt, a bounce, a complaint, an inbound reply), once:
    the provider's id of the event is unique, so a redelivered callback changes nothing the second time."""

    provider = models.CharField(_("provider"), max_length=30)
    kind = models.CharField(_("kind"), max_length=10, choices=CallbackKind.choices)
    external_id = models.CharField(_("provider's event id"), max_length=250)
    message = models.ForeignKey(
        OutboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    event = models.CharField(_("event"), max_length=20)
    result = models.CharField(_("result"), max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("provider callback")
        verbose_name_plural = _("provider callbacks")
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "external_id"], name="uniq_provider_callback"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} {self.external_id}"


class TaskKind(models.TextChoices):
    CALL = "call", _("Call the borrower")
    PLACEMENT = "placement", _("Legal referral or agency placement")
    REPLY = "reply", _("Answer the borrower's reply")
    CALLBACK = "callback", _("Call back at the borrower's request")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskQuerySet(models.QuerySet):
    def visible_to(self, principal) -> TaskQuerySet:
        """The tasks of the cases a principal may see (accounts.roles.case_filter through the case)."""
        condition = case_filter(principal, "case__")
        return self if condition is None else self.filter(condition)


class Task(models.Model):
    """Work for a person: lands in the assignee's queue."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="tasks")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_tasks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    job = models.ForeignKey(ReminderJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="closed_tasks"
    )
    history = HistoricalRecords()

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            # Escalation runs repeatedly; one open task of a kind per case is enough.
            models.UniqueConstraint(fields=["case", "kind"], condition=Q(status="open"), name="one_open_task_per_kind"),
        ]
        indexes = [models.Index(fields=["assigned_to", "status", "due_at"], name="task_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} case {self.case_id}"


class AlertKind(models.TextChoices):
    LOST_CONTACT = "lost_contact", _("Borrower lost contact")


class AlertQuerySet(models.QuerySet):
    def visible_to(self, principal) -> AlertQuerySet:
        """The alerts of the cases a principal may see; an alert without a case through its borrower's."""
        condition = case_filter(principal, "case__")
        if condition is None:
            return self
        borrowers = Borrower.objects.visible_to(principal).values("pk")
        return self.filter(condition | Q(case__isnull=True, borrower__in=borrowers))


class Alert(models.Model):
    """An early warning for a supervisor."""

    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.CASCADE, related_name="alerts")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="outreach_alerts"
    )
    message = models.TextField(_("message"))
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="acknowledged_alerts"
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "kind"], condition=Q(acknowledged_at__isnull=True), name="one_open_alert_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.borrower_id}"


class CollectorProfile(models.Model):
    """How much new work a collector takes a day, and whether they serve vulnerable borrowers."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collector_profile")
    daily_capacity = models.PositiveIntegerField(_("new cases per day"), default=30)
    specialist = models.BooleanField(
        _("specialist"), default=False, help_text=_("Serves vulnerable borrowers (specialist queue).")
    )
    active = models.BooleanField(_("takes new cases"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("collector profile")
        verbose_name_plural = _("collector profiles")

    def __str__(self) -> str:
        return str(self.user)


class CallScript(models.Model):
    """What a collector says when a call starts, for one rule pack (jurisdiction) and stage, in one
    language: a short guide and the disclosures to read aloud (`Disclosure`). A script without a stage
    applies to every stage of its pack; one for the case's stage is chosen over it."""

    # The rule packs are the jurisdictions (COMMON: everywhere; US-MA, US-WA: a state's overlay).
    pack = models.CharField(_("rule pack"), max_length=10, choices=[(code, code) for code in PACK_CODES])
    stage = models.CharField(
        _("stage"), max_length=10, blank=True, help_text=_("Empty: every stage."), choices=Stage.choices
    )
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("guide"),
        blank=True,
        help_text=_("Placeholders: {collector_name} {firm_name} {platform_name} {borrower_name} {loan_ref} …"),
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pack", "stage", "language"]
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        constraints = [
            models.UniqueConstraint(fields=["pack", "stage", "language"], name="uniq_call_script_pack_stage_language")
        ]

    def __str__(self) -> str:
        return f"{self.pack} {self.stage or '*'} [{self.language}] {self.title}"

    def clean(self) -> None:
        findings = screen_text(self.body or "", language=self.language)
        if findings:
            raise ValidationError({"body": [str(f) for f in findings]})


class Disclosure(models.Model):
    """One statement a collector reads on a call (the US mini-Miranda, the CN identity statement). Its
    code is the same in every language of the pack, so quality review compares calls whatever was spoken."""

    script = models.ForeignKey(CallScript, on_delete=models.CASCADE, related_name="disclosures")
    code = models.SlugField(_("code"), max_length=60)
    text = models.TextField(_("text"))
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["script", "position", "id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        constraints = [models.UniqueConstraint(fields=["script", "code"], name="uniq_disclosure_script_code")]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        language = self.script.language if self.script_id else "en"
        findings = screen_text(self.text or "", language=language)
        if findings:
            raise ValidationError({"text": [str(f) for f in findings]})
