from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import case_filter, principal_platform, visible_through_cases

from . import crypto


class Vulnerability(models.TextChoices):
    ELDERLY = "elderly", _("Elderly")
    DISABILITY = "disability", _("Disability")
    UNEMPLOYED = "unemployed", _("Unemployed")
    ILLNESS = "illness", _("Illness")
    BEREAVEMENT = "bereavement", _("Bereavement")
    MENTAL_HEALTH = "mental_health", _("Mental health")


ELDERLY_AGE = 65


class BorrowerQuerySet(models.QuerySet):
    def for_platform(self, platform) -> BorrowerQuerySet:
        return self.filter(platform=platform)

    def visible_to(self, principal) -> BorrowerQuerySet:
        """The borrowers a principal may see: a platform's own; for a user, the borrowers of cases they
        may see (accounts.roles)."""
        return visible_through_cases(self, principal)


class Borrower(models.Model):
    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="borrowers")
    external_id = models.CharField(_("external id"), max_length=100)
    full_name = models.CharField(_("full name"), max_length=200)
    region = models.CharField(_("region"), max_length=10, help_text="ISO 3166-2, e.g. CN-31, US-NY, GB-ENG")
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    national_id_encrypted = models.TextField(blank=True, editable=False)
    national_id_last4 = models.CharField(max_length=4, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=[("zh-hans", "简体中文"), ("en", "English")], default="en"
    )
    address = models.TextField(_("address"), blank=True)
    vulnerabilities = models.JSONField(_("vulnerabilities"), default=list, blank=True)
    # Times the borrower named as inconvenient (Regulation F 1006.6(b)(1)(i); CONC 7.9.4R): a list of
    # {"start": "HH:MM", "end": "HH:MM", "days": [0..6]} windows on the borrower's own clock (Monday 0; no
    # "days": every day; an end at or before the start runs past midnight). The gate's rule
    # borrower_preference honours them; compliance.preferences.inconvenient_times_set writes them.
    inconvenient_times = models.JSONField(_("inconvenient times"), default=list, blank=True)
    lost_contact = models.BooleanField(_("lost contact"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["national_id_encrypted"])

    objects = BorrowerQuerySet.as_manager()

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="uniq_borrower_external_id"),
        ]
        # Case search (workspace.search): an inbound caller found by borrower id or national-id tail.
        indexes = [
            models.Index(fields=["external_id"], name="borrower_external_id"),
            models.Index(fields=["national_id_last4"], name="borrower_nid_last4"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.external_id})"

    def set_national_id(self, value: str | None) -> None:
        value = (value or "").strip()
        self.national_id_encrypted = crypto.encrypt(value) if value else ""
        self.national_id_last4 = value[-4:] if value else ""

    @property
    def national_id_masked(self) -> str:
        if not self.national_id_last4:
            return ""
        return "*" * 8 + self.national_id_last4

    def effective_vulnerabilities(self, on: dt.date | None = None) -> list[str]:
        return effective_vulnerabilities(self.vulnerabilities, self.date_of_birth, on=on)


def effective_vulnerabilities(
    declared: list[str] | None, date_of_birth: dt.date | None, *, on: dt.date | None
) -> list[str]:
    """Declared vulnerabilities, plus `elderly` from the date of birth at 65+."""
    found = list(declared or [])
    if date_of_birth and Vulnerability.ELDERLY not in found:
        today = on or timezone.now().date()
        age = today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
        if age >= ELDERLY_AGE:
            found.append(Vulnerability.ELDERLY.value)
    return found


def vulnerable_q(on: dt.date, prefix: str = "") -> models.Q:
    """The same rule as `effective_vulnerabilities` in SQL: a declared vulnerability, or 65 or older on
    `on`. `prefix` reaches the borrower from another model ("borrower__")."""
    try:
        born_by = on.replace(year=on.year - ELDERLY_AGE)
    except ValueError:  # 29 February: 65 years before it has none, the birthday is 28 February
        born_by = on.replace(year=on.year - ELDERLY_AGE, day=28)
    return ~models.Q(**{f"{prefix}vulnerabilities": []}) | models.Q(**{f"{prefix}date_of_birth__lte": born_by})


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    WORK = "work", _("Work")


class Phone(models.Model):
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    autodial_consent = models.BooleanField(_("autodial consent"), default=False)
    work_contact_prohibited = models.BooleanField(_("work contact prohibited"), default=False)
    invalid = models.BooleanField(_("invalid"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        # Case search (workspace.search): an inbound caller found by number (stored in E.164).
        indexes = [models.Index(fields=["number"], name="phone_number")]

    def __str__(self) -> str:
        return self.number


class EmailKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    WORK = "work", _("Work")


class Email(models.Model):
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("address"))
    kind = models.CharField(_("kind"), max_length=10, choices=EmailKind.choices, default=EmailKind.PERSONAL)
    invalid = models.BooleanField(_("invalid"), default=False)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("email")
        verbose_name_plural = _("emails")

    def __str__(self) -> str:
        return self.address


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    RELATIVE = "relative", _("Relative")
    EMPLOYER = "employer", _("Employer")
    REFERENCE = "reference", _("Reference")
    EMERGENCY = "emergency", _("Emergency contact")


class ThirdParty(models.Model):
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="third_parties")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.REFERENCE
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("third party")
        verbose_name_plural = _("third parties")

    def __str__(self) -> str:
        return self.name


class HoldKind(models.TextChoices):
    CEASE = "cease", _("Cease communication")
    ATTORNEY = "attorney", _("Represented by attorney")
    DISPUTE = "dispute", _("Debt disputed")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    DECEASED = "deceased", _("Deceased")
    BREATHING_SPACE = "breathing_space", _("Breathing space")
    MENTAL_HEALTH_CRISIS = "mental_health_crisis", _("Mental health crisis moratorium")
    NO_WORK_CONTACT = "no_work_contact", _("No contact at work")
    # Written with a delinquency pause (cases.LoanPause), on its loan, for the pause's days.
    PAUSED = "paused", _("Delinquency paused")


class HoldQuerySet(models.QuerySet):
    def active_at(self, at: dt.datetime) -> HoldQuerySet:
        return self.filter(starts_at__lte=at).filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=at))

    def visible_to(self, principal) -> HoldQuerySet:
        """The holds of the borrowers a principal may see."""
        platform = principal_platform(principal)
        if platform is not None:
            return self.filter(borrower__platform=platform)
        if case_filter(principal) is None:
            return self
        return self.filter(borrower__in=Borrower.objects.visible_to(principal).values("pk"))


class Hold(models.Model):
    """A reason to stop some or all outreach, for a period, possibly for one loan only."""

    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(_("kind"), max_length=30, choices=HoldKind.choices)
    loan = models.ForeignKey(
        "cases.Loan", verbose_name=_("loan"), null=True, blank=True, on_delete=models.CASCADE, related_name="holds"
    )
    starts_at = models.DateTimeField(_("starts at"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    objects = HoldQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        indexes = [models.Index(fields=["borrower", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.borrower_id})"

    def is_active(self, at: dt.datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Field visit")
    # A notification in the platform's own app, delivered by the platform (outreach's push gateway).
    PUSH = "push", _("App push")


class OptOut(models.Model):
    """The borrower asked not to be contacted on a channel, or at one number/address of it."""

    OPT_OUT_CHANNELS = [c for c in Channel.choices if c[0] != Channel.VISIT]

    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(_("channel"), max_length=10, choices=OPT_OUT_CHANNELS)
    to = models.CharField(_("number or address"), max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self) -> str:
        return f"{self.channel} {self.to or '*'}"
