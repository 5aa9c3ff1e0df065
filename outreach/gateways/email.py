"""Email through Django's mail backends (SMTP in production, console/locmem elsewhere)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage

from .base import Gateway, Message, SendResult


class EmailGateway(Gateway):
    name = "email"

    def send(self, message: Message) -> SendResult:
        # A Message-ID derived from the idempotency key lets a receiving MTA recognise a resend.
        msgid = make_msgid(idstring=message.idempotency_key, domain="reminders.invalid")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": msgid, "X-Idempotency-Key": message.idempotency_key},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            return SendResult(permanent_error=f"recipient refused: {exc.recipients}")
        except (smtplib.SMTPException, OSError) as exc:
            return SendResult(transient_error=f"{type(exc).__name__}: {exc}")
        return SendResult(provider_id=msgid, status="sent")
