from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import case_filter, visible_through_cases

ZERO = Decimal("0.00")


class Product(models.TextChoices):
    CREDIT_CARD = "credit_card", _("Credit card")
    CONSUMER_LOAN = "consumer_loan", _("Consumer loan")
    WALLET_LOAN = "wallet_loan", _("Wallet loan")
    MICROLOAN = "microloan", _("Microloan")
    MORTGAGE = "mortgage", _("Mortgage")


class Stage(models.TextChoices):
    """Collection stages by days past due (账龄): pre-due reminder, then M1, M2, M3, M3+."""

    PRE_DUE = "pre_due", _("Pre-due reminder")
    M1 = "m1", _("M1 (1-30 days)")
    M2 = "m2", _("M2 (31-60 days)")
    M3 = "m3", _("M3 (61-90 days)")
    M3_PLUS = "m3_plus", _("M3+ (90+ days)")


def stage_for_dpd(dpd: int) -> str:
    if dpd <= 0:
        return Stage.PRE_DUE
    if dpd <= 30:
        return Stage.M1
    if dpd <= 60:
        return Stage.M2
    if dpd <= 90:
        return Stage.M3
    return Stage.M3_PLUS


class LoanQuerySet(models.QuerySet):
    def for_platform(self, platform) -> LoanQuerySet:
        return self.filter(platform=platform)

    def visible_to(self, principal) -> LoanQuerySet:
        """The loans a principal may see: a platform's own; for a user, the loans of cases they may see."""
        return visible_through_cases(self, principal)


class Loan(models.Model):
    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="loans")
    external_id = models.CharField(_("external id"), max_length=100)
    product = models.CharField(_("product"), max_length=20, choices=Product.choices, default=Product.CONSUMER_LOAN)
    currency = models.CharField(_("currency"), max_length=3)
    principal = models.DecimalField(_("principal"), max_digits=14, decimal_places=2)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=7, decimal_places=4, null=True, blank=True)
    disbursed_on = models.DateField(_("disbursed on"))
    statute_limitations_date = models.DateField(_("statute of limitations date"), null=True, blank=True)
    # Derived from installments and payments; recomputed by cases.services / the delinquency refresh.
    outstanding = models.DecimalField(_("outstanding"), max_digits=14, decimal_places=2, default=ZERO)
    overdue_amount = models.DecimalField(_("overdue amount"), max_digits=14, decimal_places=2, default=ZERO)
    dpd = models.IntegerField(_("days past due"), default=0)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.PRE_DUE)
    # Charge-off (cases.legal.loan_write_off): the day and the balance written off. A payment after it is
    # still allocated, and counted as a recovery (Payment.recovery).
    written_off_on = models.DateField(_("written off on"), null=True, blank=True)
    written_off_amount = models.DecimalField(
        _("amount written off"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    objects = LoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="uniq_loan_external_id"),
        ]

    def __str__(self) -> str:
        return self.external_id


class LoanPauseQuerySet(models.QuerySet):
    def visible_to(self, principal) -> LoanPauseQuerySet:
        """The pauses of the loans a principal may see."""
        return self.filter(loan__in=Loan.objects.visible_to(principal).values("pk"))


class LoanPause(models.Model):
    """A delinquency pause (as Fineract's): from `starts_on` through `ends_on` (inclusive; open-ended
    when empty) the loan's DPD does not grow, so its stage stands still, and the linked hold (kind
    `paused`) stops every outbound action about the loan at the gate and the reminders in the planner.

    Pauses of one loan never overlap (cases.pauses rejects an overlapping one), so the paused days
    the refresh subtracts are a plain sum."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="pauses")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    hold = models.OneToOneField(
        "borrowers.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="loan_pause"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    objects = LoanPauseQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("delinquency pause")
        verbose_name_plural = _("delinquency pauses")
        indexes = [models.Index(fields=["loan", "starts_on"], name="loanpause_loan_start")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.starts_on}..{self.ends_on or ''}"

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Installment(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    seq = models.PositiveIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    principal_due = models.DecimalField(_("principal due"), max_digits=14, decimal_places=2)
    interest_due = models.DecimalField(_("interest due"), max_digits=14, decimal_places=2, default=ZERO)
    fee_due = models.DecimalField(_("fee due"), max_digits=14, decimal_places=2, default=ZERO)
    principal_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    interest_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    fee_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    # Amounts forgiven by an approved waiver or settlement (repayment_plans).
    waived = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    # Charges the delinquency refresh accrues under a ChargeRule (cases.charges): totals to date, each
    # change written as a ChargeAccrual row. Paid by the waterfall, forgiven by a waiver plan, each apart.
    late_fee_due = models.DecimalField(_("late fee"), max_digits=14, decimal_places=2, default=ZERO)
    late_fee_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    late_fee_waived = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    penalty_due = models.DecimalField(_("penalty interest"), max_digits=14, decimal_places=2, default=ZERO)
    penalty_paid = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    penalty_waived = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    paid_off_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["loan", "seq"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        constraints = [models.UniqueConstraint(fields=["loan", "seq"], name="uniq_installment_seq")]
        indexes = [models.Index(fields=["due_date"], name="inst_unpaid_due", condition=Q(paid_off_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.seq}"

    @property
    def total_due(self) -> Decimal:
        return self.principal_due + self.interest_due + self.fee_due + self.late_fee_due + self.penalty_due

    @property
    def total_paid(self) -> Decimal:
        return self.principal_paid + self.interest_paid + self.fee_paid + self.late_fee_paid + self.penalty_paid

    @property
    def total_waived(self) -> Decimal:
        return self.waived + self.late_fee_waived + self.penalty_waived

    @property
    def remaining(self) -> Decimal:
        return max(self.total_due - self.total_paid - self.total_waived, ZERO)

    @property
    def charges_due(self) -> Decimal:
        """Late fee and penalty interest accrued to date (cases.charges)."""
        return self.late_fee_due + self.penalty_due

    @property
    def charges_open(self) -> Decimal:
        """What is left to pay of the late fee and penalty interest."""
        return max(self.late_fee_due - self.late_fee_paid - self.late_fee_waived, ZERO) + max(
            self.penalty_due - self.penalty_paid - self.penalty_waived, ZERO
        )


class Payment(models.Model):
    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="payments")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    external_id = models.CharField(_("external id"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    paid_at = models.DateTimeField(_("paid at"))
    method = models.CharField(_("method"), max_length=50, blank=True)
    unallocated = models.DecimalField(_("unallocated"), max_digits=14, decimal_places=2, default=ZERO)
    # Received after the loan was written off: allocated as any payment, reported as a recovery.
    recovery = models.BooleanField(_("recovery after charge-off"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-paid_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="uniq_payment_external_id"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.amount} {self.currency}"


class PaymentAllocation(models.Model):
    """How a payment was applied (the waterfall, cases.services.allocate): oldest installment first, within
    each the scheduled fee, the late fee, penalty interest, interest, then principal."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.CASCADE, related_name="allocations")
    fee = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    interest = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    principal = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    late_fee = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    penalty = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)

    @property
    def total(self) -> Decimal:
        return self.fee + self.late_fee + self.penalty + self.interest + self.principal


class RiskSegment(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class LegalStage(models.TextChoices):
    """The legal path of the reference articles: 律师函 → 诉前调解 → 诉讼. Any of them freezes the case's
    automated reminders (outreach.planning); collectors still act through the gate."""

    NONE = "", _("None")
    REFERRED = "referred", _("Legal referral (lawyer letter)")
    MEDIATION = "mediation", _("Pre-litigation mediation")
    LITIGATION = "litigation", _("Litigation")


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status=CaseStatus.OPEN)

    def for_platform(self, platform) -> CaseQuerySet:
        return self.filter(platform=platform)

    def visible_to(self, principal) -> CaseQuerySet:
        """The one place that says which cases a principal may see: a signed-in user (pages, exports, the
        API by session), a platform key (its own cases) or nobody. The rule is accounts.roles.case_filter."""
        condition = case_filter(principal)
        return self if condition is None else self.filter(condition)


class Case(models.Model):
    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="cases")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="cases")
    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.PRE_DUE)
    dpd = models.IntegerField(_("days past due"), default=0)
    overdue_amount = models.DecimalField(_("overdue amount"), max_digits=14, decimal_places=2, default=ZERO)
    risk_segment = models.CharField(
        _("risk segment"), max_length=10, choices=RiskSegment.choices, default=RiskSegment.LOW
    )
    risk_score = models.IntegerField(_("risk score"), default=0)
    # Each factor's points in risk_score, written by the same refresh (outreach.scoring): why the segment.
    risk_factors = models.JSONField(_("risk factors"), default=dict, blank=True)
    priority = models.IntegerField(_("priority"), default=0, db_index=True)
    assigned_to = models.ForeignKey(
        "accounts.User",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # The team whose case it was when it was placed with an agency: its supervisor keeps read access to it
    # while the agency works it (accounts.roles.case_filter). Empty for a case never placed.
    placing_team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("placed by team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    next_action_at = models.DateTimeField(_("next action at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=50, blank=True)
    legal_stage = models.CharField(
        _("legal stage"), max_length=12, choices=LegalStage.choices, default=LegalStage.NONE, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["loan"], condition=Q(status="open"), name="one_open_case_per_loan"),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "-priority"], name="case_queue"),
            models.Index(fields=["platform", "status", "stage"], name="case_platform_stage"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.loan_id}"


class CaseEvent(models.Model):
    """A domain event on a case: who changed what, from what to what, and why."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        ASSIGNED = "assigned", _("Assigned")
        PLACED = "placed", _("Placed with agency")
        RECALLED = "recalled", _("Recalled from agency")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        PAYMENT = "payment", _("Payment received")
        NOTE = "note", _("Note")
        PROMISE_KEPT = "promise_kept", _("Promise kept")
        PROMISE_BROKEN = "promise_broken", _("Promise broken")
        PLAN_PROPOSED = "plan_proposed", _("Plan proposed")
        PLAN_PENDING_APPROVAL = "plan_pending_approval", _("Plan awaiting approval")
        PLAN_APPROVED = "plan_approved", _("Plan approved")
        PLAN_REJECTED = "plan_rejected", _("Plan refused")
        PLAN_ACTIVATED = "plan_activated", _("Plan activated")
        PLAN_COMPLETED = "plan_completed", _("Plan completed")
        PLAN_BROKEN = "plan_broken", _("Plan broken")
        PLAN_CANCELLED = "plan_cancelled", _("Plan cancelled")
        ESCALATED = "escalated", _("Escalated")
        TASK_DONE = "task_done", _("Task done")
        TASK_CANCELLED = "task_cancelled", _("Task cancelled")
        TASK_REASSIGNED = "task_reassigned", _("Task reassigned")
        ALERT_ACKNOWLEDGED = "alert_acknowledged", _("Alert acknowledged")
        PAUSED = "paused", _("Delinquency paused")
        PAUSE_ENDED = "pause_ended", _("Delinquency pause ended")
        WRITTEN_OFF = "written_off", _("Written off")
        RECOVERY = "recovery", _("Recovery after charge-off")
        LEGAL_STAGE_CHANGED = "legal_stage_changed", _("Legal stage changed")
        LEGAL_OUTCOME = "legal_outcome", _("Legal outcome recorded")
        LAWYER_LETTER = "lawyer_letter", _("Lawyer letter sent")
        VALIDATION_NOTICE = "validation_notice", _("Validation notice")
        VALIDATION_VERIFIED = "validation_verified", _("Verification recorded")
        CONTACT_TIMES = "contact_times", _("Inconvenient times recorded")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(db_index=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]


class RefreshRun(models.Model):
    """One run of the whole book's delinquency refresh (cases.delinquency.refresh_delinquency without
    loan ids): when, how long, what it changed, or the kind of error that stopped it. The operations page
    shows the last one; the per-payment refresh of a few loans is not recorded (it is counted in /metrics)."""

    started_at = models.DateTimeField(_("started at"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    succeeded = models.BooleanField(_("succeeded"))
    error = models.CharField(_("error"), max_length=200, blank=True)
    loans_updated = models.PositiveIntegerField(_("loans updated"), default=0)
    cases_opened = models.PositiveIntegerField(_("cases opened"), default=0)
    cases_closed = models.PositiveIntegerField(_("cases closed"), default=0)
    stage_changes = models.PositiveIntegerField(_("stage changes"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("delinquency refresh run")
        verbose_name_plural = _("delinquency refresh runs")

    def __str__(self) -> str:
        return f"refresh {self.started_at:%Y-%m-%d %H:%M} ({'ok' if self.succeeded else self.error})"


class LegalProceeding(models.Model):
    """One step of a case's legal path: the referral (with its lawyer letter), a pre-litigation mediation
    or a lawsuit, with who handles it (law firm, mediation body, court), its number there, its dates and
    its outcome. Written by cases.legal; the case's `legal_stage` is the latest open step's kind."""

    class Kind(models.TextChoices):
        REFERRAL = "referred", _("Legal referral (lawyer letter)")
        MEDIATION = "mediation", _("Pre-litigation mediation")
        LITIGATION = "litigation", _("Litigation")

    class Outcome(models.TextChoices):
        PENDING = "", _("Pending")
        SETTLED = "settled", _("Settled")
        MEDIATION_FAILED = "mediation_failed", _("Mediation failed")
        JUDGMENT_FOR_LENDER = "judgment_for_lender", _("Judgment for the lender")
        JUDGMENT_FOR_BORROWER = "judgment_for_borrower", _("Judgment for the borrower")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="legal_proceedings")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # The law firm (referral), the mediation body or the court.
    forum = models.CharField(_("law firm, mediator or court"), max_length=200)
    reference = models.CharField(_("case number"), max_length=100, blank=True)
    started_on = models.DateField(_("started on"))
    next_date = models.DateField(_("next hearing or deadline"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=Outcome.choices, default=Outcome.PENDING, blank=True
    )
    amount_awarded = models.DecimalField(_("amount awarded"), max_digits=14, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("legal proceeding")
        verbose_name_plural = _("legal proceedings")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference or self.forum}"


class LawyerLetter(models.Model):
    """One lawyer letter (律师函) of a legal referral, rendered in the borrower's language and sent as a
    letter through the compliance gate: queued for print when allowed, kept with the gate's reasons when
    blocked."""

    class Status(models.TextChoices):
        QUEUED_FOR_PRINT = "queued_for_print", _("Queued for printing")
        BLOCKED = "blocked", _("Blocked by compliance")

    proceeding = models.ForeignKey(LegalProceeding, on_delete=models.CASCADE, related_name="letters")
    language = models.CharField(_("language"), max_length=10)
    to = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    decision_id = models.BigIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    body = models.TextField(_("letter"), blank=True)
    # The letter as printed and posted (outreach.lawyer_letters), hashed into the evidence chain like a
    # plan's agreement PDF; only a letter the gate allowed has one.
    pdf = models.FileField(_("letter (PDF)"), upload_to="lawyer-letters/%Y/%m/", blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lawyer letter")
        verbose_name_plural = _("lawyer letters")


# --- charges: late fees and penalty interest (cases.charges; docs/fees.md) -------------------------------


class ChargeJurisdiction(models.TextChoices):
    """The jurisdiction a loan's charges follow: its borrower's region (CN-*, US-*, GB-*), else the
    platform's default jurisdiction — the same selection as the rule packs (RULES.md)."""

    CN = "CN", _("China")
    US = "US", _("United States")
    UK = "UK", _("United Kingdom")


class RateBasis(models.TextChoices):
    DAILY = "daily", _("per day")
    ANNUAL = "annual", _("per year (365 days)")


class ChargeRule(models.Model):
    """How a late fee and penalty interest accrue for a jurisdiction and product (and optionally one
    platform): grace, a late fee (fixed and/or a percentage of the unpaid principal and interest), a
    penalty rate. A rule takes effect on `valid_from`; a change of terms is a new row with a later date,
    so the days before keep the old terms and a recomputation gives the same total. Seeded inactive:
    a charge needs a basis in the loan contract, so the lender switches it on."""

    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=ChargeJurisdiction.choices)
    product = models.CharField(
        _("product"), max_length=20, choices=Product.choices, blank=True, help_text=_("Empty: every product.")
    )
    platform = models.ForeignKey(
        "accounts.Platform",
        verbose_name=_("platform"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="charge_rules",
        help_text=_("Empty: every platform."),
    )
    valid_from = models.DateField(_("valid from"))
    active = models.BooleanField(_("active"), default=False)
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)
    late_fee_fixed = models.DecimalField(
        _("late fee (fixed)"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        help_text=_("In the loan's currency, charged once per installment when the grace has passed."),
    )
    late_fee_percent = models.DecimalField(
        _("late fee (% of the unpaid principal and interest)"), max_digits=7, decimal_places=4, default=ZERO
    )
    penalty_rate = models.DecimalField(
        _("penalty interest rate (%)"),
        max_digits=9,
        decimal_places=6,
        default=ZERO,
        help_text=_("On the installment's unpaid principal and interest, for each day beyond the grace."),
    )
    penalty_rate_basis = models.CharField(
        _("rate per"), max_length=6, choices=RateBasis.choices, default=RateBasis.DAILY
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["jurisdiction", "product", "-valid_from", "id"]
        verbose_name = _("charge rule")
        verbose_name_plural = _("charge rules")

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.product or '*'} {self.valid_from}"


class ChargeCap(models.Model):
    """A legal ceiling on charges, as data: every active cap that matches a loan applies (the strictest
    wins), so a state or product row can only tighten its jurisdiction's."""

    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, choices=ChargeJurisdiction.choices)
    region = models.CharField(
        _("region"), max_length=10, blank=True, help_text=_("ISO 3166-2, e.g. US-NY. Empty: the whole jurisdiction.")
    )
    product = models.CharField(
        _("product"), max_length=20, choices=Product.choices, blank=True, help_text=_("Empty: every product.")
    )
    active = models.BooleanField(_("active"), default=True)
    annual_cost_ceiling_percent = models.DecimalField(
        _("annualised total cost ceiling (%)"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Interest, fees and charges to date over the principal borrowed and for how long, per year."),
    )
    total_cost_max_percent = models.DecimalField(
        _("total cost cap (% of principal)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    late_fee_max = models.DecimalField(_("late fee at most"), max_digits=14, decimal_places=2, null=True, blank=True)
    source = models.TextField(_("source"), help_text=_("The law or rule the figure comes from."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["jurisdiction", "region", "product", "id"]
        verbose_name = _("charge cap")
        verbose_name_plural = _("charge caps")

    def __str__(self) -> str:
        return f"{self.region or self.jurisdiction} {self.product or '*'}"


class ChargeKind(models.TextChoices):
    LATE_FEE = "late_fee", _("Late fee")
    PENALTY = "penalty", _("Penalty interest")


class ChargeAccrual(models.Model):
    """A change of an installment's late fee or penalty total, written by the refresh of day `on`: the
    new total and the difference from the day before (negative when a backdated payment, pause or
    breathing space lowered it). At most one row per installment, kind and day: a second run that day
    rewrites it with the same figures."""

    installment = models.ForeignKey(Installment, on_delete=models.CASCADE, related_name="charge_accruals")
    kind = models.CharField(_("kind"), max_length=10, choices=ChargeKind.choices)
    on = models.DateField(_("day"))
    amount = models.DecimalField(_("change"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    rule = models.ForeignKey(ChargeRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    capped = models.BooleanField(_("capped"), default=False)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["installment", "kind", "on"]
        verbose_name = _("charge accrual")
        verbose_name_plural = _("charge accruals")
        constraints = [
            models.UniqueConstraint(fields=["installment", "kind", "on"], name="uniq_charge_accrual_day"),
        ]

    def __str__(self) -> str:
        return f"{self.installment_id} {self.kind} {self.on} {self.amount}"
