"""The borrower portal's records: the links sent to borrowers, the second-factor attempts made on them,
what the borrower did through them, and the agreements they accepted."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkSource(models.TextChoices):
    API = "api", _("Platform API")
    REMINDER = "reminder", _("Reminder")


class PortalLinkQuerySet(models.QuerySet):
    def usable_at(self, at: dt.datetime) -> PortalLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class PortalLink(models.Model):
    """A link to the portal for the borrower of one case. Only the token's SHA-256 is stored: the token
    itself is in the URL sent to the borrower and nowhere else."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=10, choices=LinkSource.choices)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("identity last confirmed at"), null=True, blank=True)

    objects = PortalLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        indexes = [models.Index(fields=["case", "created_at"], name="portal_link_case")]

    def __str__(self) -> str:
        return f"portal link {self.pk} (case {self.case_id})"

    def usable(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


class PortalAttempt(models.Model):
    """One answer to the second factor on a link (the rate limits count the failed ones)."""

    link = models.ForeignKey(PortalLink, on_delete=models.CASCADE, related_name="attempts")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    succeeded = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["link", "at"], name="portal_attempt_link_at"),
            models.Index(fields=["ip", "at"], name="portal_attempt_ip_at"),
        ]


class PortalActionKind(models.TextChoices):
    PAY = "pay", _("Went to pay")
    PROMISE = "promise", _("Promised to pay")
    PLAN = "plan", _("Chose a repayment plan")
    MORE_HELP = "more_help", _("Asked for another arrangement")
    OPT_OUT = "opt_out", _("Opted out")
    DISPUTE = "dispute", _("Disputed the debt")
    HARDSHIP = "hardship", _("Told us of hardship")
    CONTACT_TIMES = "contact_times", _("Named inconvenient times")


class PortalAction(models.Model):
    """What a borrower did through a link: the actor "borrower (portal)", with the link and address."""

    link = models.ForeignKey(PortalLink, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("kind"), max_length=20, choices=PortalActionKind.choices)
    at = models.DateTimeField(_("at"))
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("portal action")
        verbose_name_plural = _("portal actions")


class AgreementAcceptance(models.Model):
    """The borrower accepted a plan's written agreement through the portal."""

    plan = models.OneToOneField("repayment_plans.Plan", on_delete=models.PROTECT, related_name="portal_acceptance")
    link = models.ForeignKey(PortalLink, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted at"))
    ip = models.GenericIPAddressField(null=True, blank=True)
    language = models.CharField(max_length=10)

    class Meta:
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
