from __future__ import annotations

import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Jurisdiction(models.TextChoices):
    CN = "CN", _("China")
    US = "US", _("United States")
    UK = "UK", _("United Kingdom")


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def validate_zone_name(value: str) -> None:
    """An IANA time zone name (Asia/Shanghai), or blank."""
    if not value:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(_("Unknown IANA time zone %(tz)s.") % {"tz": value}) from None


class SecondFactor(models.TextChoices):
    """What a borrower confirms on the portal before it shows anything (what borrowers store)."""

    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    NATIONAL_ID_LAST4 = "national_id_last4", _("Last four characters of the national id")


class Platform(models.Model):
    """A loan platform: the API client whose borrowers, loans and payments we collect on."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    api_key_hash = models.CharField(max_length=64, unique=True, editable=False)
    api_key_prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    default_jurisdiction = models.CharField(
        _("default jurisdiction"), max_length=2, choices=Jurisdiction.choices, default=Jurisdiction.CN
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The borrower portal (portal app).
    portal_second_factor = models.CharField(
        _("portal second factor"), max_length=20, choices=SecondFactor.choices, default=SecondFactor.DATE_OF_BIRTH
    )
    payment_url_template = models.CharField(
        _("payment page URL template"),
        max_length=500,
        blank=True,
        help_text=_("The platform's payment page, with {amount}, {currency} and {reference} filled in."),
    )
    portal_promise_max_days = models.PositiveSmallIntegerField(
        _("latest promise date (days ahead)"),
        default=14,
        help_text=_("A borrower may promise on the portal a payment due at most this many days ahead."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["api_key_hash"])

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rotate_api_key(self) -> str:
        """Set a fresh key and return it; only its hash is stored, so it is shown once."""
        key = secrets.token_hex(20)
        self.api_key_hash = hash_api_key(key)
        self.api_key_prefix = key[:8]
        if not self.webhook_secret:
            self.webhook_secret = secrets.token_hex(32)
        return key


class Agency(models.Model):
    """An outside collection agency; its collectors see only the cases placed with it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    # The zone the team works in: its members' times unless they chose their own (User.zone_name); blank, the
    # site's TIME_ZONE.
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_zone_name])
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    SUPERVISOR = "supervisor", _("Supervisor")
    COMPLIANCE = "compliance", _("Compliance officer")
    AGENCY_COLLECTOR = "agency_collector", _("Agency collector")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.COLLECTOR)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=[("en", "English"), ("zh-hans", "简体中文")], default="en"
    )
    # Blank: the team's zone (Team.timezone), else the site's; pages show times in `zone_name`.
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_zone_name])
    # Limits used by repayment plan approval: beyond these a supervisor approves.
    max_discount_percent = models.DecimalField(_("max discount %"), max_digits=5, decimal_places=2, default=10)
    max_plan_months = models.PositiveSmallIntegerField(_("max plan months"), default=6)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN) or self.is_superuser

    @property
    def zone_name(self) -> str:
        """The IANA zone this user reads times in: their own choice, else their team's, else the site's."""
        team_zone = self.team.timezone if self.team_id and self.team else ""
        return self.timezone or team_zone or settings.TIME_ZONE

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.ADMIN, Role.COMPLIANCE) or self.is_superuser

    @property
    def sees_full_pii(self) -> bool:
        """Agency collectors see masked phone numbers; nobody sees a full national id."""
        return self.role != Role.AGENCY_COLLECTOR


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed on retries."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "scope", "key"], name="uniq_idempotency_key"),
        ]
