from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from borrowers.models import Channel
from contacts.models import ActorKind, AppendOnlyError, Party, visible_case_records


class RulePack(models.Model):
    """A versioned set of rule parameters. Editing makes a new version; old ones stay for replay."""

    code = models.CharField(_("code"), max_length=10)
    version = models.PositiveIntegerField(_("version"))
    params = models.JSONField(_("parameters"))
    note = models.TextField(_("change note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("rule pack")
        verbose_name_plural = _("rule packs")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="uniq_rule_pack_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    def save(self, *args, **kwargs):
        # Decisions name the version they used; changing a version in place would falsify them.
        if self.pk is not None:
            raise AppendOnlyError("Rule pack versions are immutable; save a new version instead.")
        super().save(*args, **kwargs)


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Decisions are immutable.")

    def delete(self):
        raise AppendOnlyError("Decisions are immutable.")

    def visible_to(self, principal) -> DecisionQuerySet:
        """The decisions a principal may see: the same rule as the contact log's (contacts.models)."""
        return visible_case_records(self, principal)


class Decision(models.Model):
    """The gate's verdict on one outreach action, with everything needed to replay it."""

    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="+")
    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="decisions")
    loan = models.ForeignKey("cases.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    party = models.CharField(max_length=12, choices=Party.choices, default=Party.BORROWER)
    third_party = models.ForeignKey(
        "borrowers.ThirdParty", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to = models.CharField(max_length=254, blank=True)
    message_digest = models.CharField(max_length=64, blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_platform = models.ForeignKey(
        "accounts.Platform", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    allowed = models.BooleanField()
    results = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    facts = models.JSONField(default=dict)
    rule_pack = models.CharField(max_length=30)
    pack_versions = models.JSONField(default=dict)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(auto_now_add=True, db_index=True)
    override_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="overrides")
    override_reason = models.TextField(blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-evaluated_at", "-id"]
        verbose_name = _("compliance decision")
        verbose_name_plural = _("compliance decisions")
        indexes = [models.Index(fields=["borrower", "evaluated_at"], name="decision_borrower_time")]

    def __str__(self) -> str:
        return f"#{self.pk} {'allowed' if self.allowed else 'blocked'} {self.channel}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Decisions are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Decisions are immutable.")


# --- the evidence chain -------------------------------------------------------------------------------

GENESIS_HASH = "0" * 64


class EvidenceKind(models.TextChoices):
    DECISION = "decision", _("Compliance decision")
    CONTACT = "contact", _("Contact")
    CONTACT_OUTCOME = "contact_outcome", _("Contact outcome")
    ERASURE = "erasure", _("Erasure")
    DOCUMENT = "document", _("Document")


class EvidenceLink(models.Model):
    """One link of a borrower's hash chain over their decisions and contacts.

    One chain per borrower, not one global chain: the gate already serialises writes per borrower
    (row lock on the borrower), so appending under that lock needs no global bottleneck.
    `object_id` is a plain integer, not a foreign key, on purpose: a link must outlive a record that
    someone deletes behind the application's back, so that verification can say it was removed.
    """

    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    object_id = models.BigIntegerField()
    content_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["borrower", "seq"]
        verbose_name = _("evidence link")
        verbose_name_plural = _("evidence links")
        constraints = [models.UniqueConstraint(fields=["borrower", "seq"], name="uniq_evidence_seq")]
        indexes = [models.Index(fields=["kind", "object_id"], name="evidence_object")]

    def __str__(self) -> str:
        return f"{self.borrower_id}#{self.seq} {self.kind} {self.object_id}"


class EvidenceHead(models.Model):
    """The last link of each borrower's chain: without it, deleting a record together with the
    chain's final link would leave a shorter chain that still verifies."""

    borrower = models.OneToOneField(
        "borrowers.Borrower", on_delete=models.PROTECT, primary_key=True, related_name="evidence_head"
    )
    seq = models.PositiveIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("evidence chain head")
        verbose_name_plural = _("evidence chain heads")


class EvidenceDocument(models.Model):
    """The SHA-256 of a document's bytes at the moment it was produced or sent to a borrower (an
    agreement PDF, a letter), linked into the borrower's evidence chain (compliance.evidence).

    The document itself stays where its app keeps it: `source` (app_label.Model), `source_id` and
    `source_field` name it, and for a file field `storage_name` names the exact file hashed (a later
    regeneration writes a new file and a new record). Verification reads the bytes again and compares.
    Append-only.
    """

    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30)
    source = models.CharField(max_length=60)
    source_id = models.BigIntegerField()
    source_field = models.CharField(max_length=60)
    storage_name = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    # The gate's decision that allowed sending it; empty when the record is of its production.
    decision_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["borrower", "id"]
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        indexes = [models.Index(fields=["source", "source_id"], name="evidence_document_source")]

    def __str__(self) -> str:
        return f"{self.kind} {self.source}#{self.source_id} {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Evidence documents are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Evidence documents are immutable.")


class VerificationRun(models.Model):
    """The result of one run of the verification, kept so the evidence page can show the last state."""

    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scope = models.CharField(_("scope"), max_length=100)
    borrowers_checked = models.PositiveIntegerField(default=0)
    links_checked = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=True)
    failures = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("evidence verification")
        verbose_name_plural = _("evidence verifications")


# --- the records lifecycle (compliance.lifecycle) -----------------------------------------------------------


class RecordHoldKind(models.TextChoices):
    LITIGATION = "litigation", _("Litigation hold")
    REGULATORY = "regulatory", _("Regulatory hold")


class RecordHoldQuerySet(models.QuerySet):
    def active_at(self, at) -> RecordHoldQuerySet:
        return self.filter(starts_at__lte=at).filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=at))


class RecordHold(models.Model):
    """A duty to keep a borrower's records as they are (a lawsuit, a regulator's request): while one is
    active, neither an erasure request nor the retention purge touches the borrower's personal data.
    Unlike a borrowers.Hold, it says nothing about outreach."""

    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="record_holds")
    kind = models.CharField(_("kind"), max_length=20, choices=RecordHoldKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = RecordHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("record hold")
        verbose_name_plural = _("record holds")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.borrower_id})"


class ErasureReason(models.TextChoices):
    REQUEST = "request", _("Erasure request")
    RETENTION = "retention", _("Retention period ended")


class ErasureStatus(models.TextChoices):
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class Erasure(models.Model):
    """One erasure of a borrower's personal data, or one refused request: append-only, linked into the
    borrower's evidence chain. `records` lists each decision and contact whose stored content changed,
    with its content hash before and after ({kind, object_id, before, after}), which is what lets
    `verify_evidence` accept the pseudonymised rows and still detect any other change."""

    borrower = models.ForeignKey("borrowers.Borrower", on_delete=models.PROTECT, related_name="erasures")
    reason = models.CharField(_("reason"), max_length=20, choices=ErasureReason.choices)
    status = models.CharField(_("status"), max_length=10, choices=ErasureStatus.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    refused_because = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    performed_at = models.DateTimeField(_("performed at"))
    records = models.JSONField(default=list, blank=True)
    erased = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-performed_at", "-id"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"{self.borrower_id} {self.reason} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Erasures are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Erasures are immutable.")


class ValidationNoticeStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    BLOCKED = "blocked", _("Blocked")
    FAILED = "failed", _("Failed")


class ValidationNotice(models.Model):
    """Regulation F's validation notice (12 CFR 1006.34) for one case of a US borrower: scheduled by the
    gate on the case's first allowed outbound communication with the borrower, sent by outreach (letter
    or e-mail, through the gate), its validation period tracked here. A dispute recorded inside the
    period (`disputed_at`) blocks collection at the gate (rule validation_dispute) until verification is
    recorded (`verified_at`). compliance.validation holds the write paths."""

    borrower = models.ForeignKey(
        "borrowers.Borrower", on_delete=models.PROTECT, related_name="validation_notices", verbose_name=_("borrower")
    )
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="validation_notice", verbose_name=_("case")
    )
    loan = models.ForeignKey("cases.Loan", on_delete=models.PROTECT, related_name="+", verbose_name=_("loan"))
    status = models.CharField(
        _("status"), max_length=10, choices=ValidationNoticeStatus.choices, default=ValidationNoticeStatus.SCHEDULED
    )
    # The first communication's decision, which scheduled the notice, and the decision that let it go.
    first_decision = models.ForeignKey("compliance.Decision", on_delete=models.PROTECT, related_name="+")
    send_decision = models.ForeignKey(
        "compliance.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    # Not sent before this time (the gate's next allowed time after a time-based block).
    not_before = models.DateTimeField(_("not before"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The Model Form B-1 values as sent (amounts as strings, dates ISO).
    fields = models.JSONField(_("notice fields"), default=dict, blank=True)
    # Assumed receipt (1006.34(b)(5)) and the validation period's last day, in the borrower's local days.
    receipt_date = models.DateField(_("assumed receipt"), null=True, blank=True)
    period_end = models.DateField(_("validation period ends"), null=True, blank=True)
    # The end of period_end's local day (UTC): a dispute before it is inside the period.
    period_ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    dispute_hold = models.ForeignKey(
        "borrowers.Hold", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verification recorded at"), null=True, blank=True)
    verified_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verification_note = models.TextField(_("verification note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("validation notice")
        verbose_name_plural = _("validation notices")
        indexes = [
            models.Index(fields=["borrower"], name="validation_notice_borrower"),
            models.Index(fields=["status", "not_before"], name="validation_notice_due"),
        ]

    def __str__(self) -> str:
        return f"validation notice {self.case_id} ({self.status})"

    @property
    def awaiting_verification(self) -> bool:
        return self.disputed_at is not None and self.verified_at is None
