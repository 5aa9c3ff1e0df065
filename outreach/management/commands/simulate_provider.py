"""`manage.py simulate_provider`: play an SMS provider against a running server (the demo's `make run`).

It finds the last SMS sent to a case's borrower, then POSTs to the server, over HTTP, what the provider
would: a delivery receipt for that message (`receipt --status delivered|failed|invalid`) or the borrower's
reply from that number (`reply --text STOP`), in the generic shape and signed with the generic provider's
secret exactly as a provider signs (`X-Signature`, outreach.callbacks). What the server answers is
printed: event ids and results, never the number or the message.

    DEBUG=true .venv/bin/python manage.py simulate_provider reply --case 12 --text STOP
    DEBUG=true .venv/bin/python manage.py simulate_provider receipt --case 12 --status invalid
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from outreach.callbacks import ReceiptEvent
from outreach.models import MessageStatus, OutboundMessage
from outreach.signatures import SIGNATURE_HEADER
from webhooks.signing import sign

PROVIDER = "generic"


def last_sms(case_id: int) -> OutboundMessage:
    """The last SMS of a case's reminders or collectors that a provider took (it has the provider's id)."""
    message = (
        OutboundMessage.objects.filter(channel="sms", contact__case_id=case_id)
        .exclude(status=MessageStatus.QUEUED)
        .exclude(provider_id="")
        .order_by("-created_at", "-id")
        .first()
    )
    if message is None:
        raise CommandError(
            f"No SMS has been sent on case {case_id} yet: wait for the scheduler's reminders (or send one from "
            "the case page), then try again."
        )
    return message


def receipt_payload(message: OutboundMessage, status: str) -> dict[str, Any]:
    return {
        "id": f"sim-{uuid.uuid4().hex[:12]}",
        "message_id": message.provider_id,
        "status": status,
        "error": "" if status == ReceiptEvent.DELIVERED else f"simulated {status}",
        "at": timezone.now().isoformat(),
    }


def reply_payload(message: OutboundMessage, text: str) -> dict[str, Any]:
    return {"id": f"sim-{uuid.uuid4().hex[:12]}", "from": message.to, "text": text, "at": timezone.now().isoformat()}


def post_signed(url: str, body: bytes, secret: str, *, timeout: float = 10.0) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - the operator's own server
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        raise CommandError(f"{url} did not answer: {exc}") from exc


class Command(BaseCommand):
    help = "Send a signed provider receipt or SMS reply for a case's last SMS to a running server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["receipt", "reply"])
        parser.add_argument("--case", type=int, required=True, help="the case whose last SMS it is about")
        parser.add_argument(
            "--status",
            default=ReceiptEvent.DELIVERED,
            choices=[ReceiptEvent.DELIVERED, ReceiptEvent.FAILED, ReceiptEvent.INVALID],
            help="receipt: what became of the SMS (invalid: the number cannot take messages)",
        )
        parser.add_argument("--text", default="STOP", help="reply: what the borrower answers (default STOP)")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")

    def handle(self, *args: Any, **options: Any) -> None:
        secret = settings.PROVIDER_CALLBACK_SECRETS.get(PROVIDER, "")
        if not secret:
            raise CommandError(
                "GENERIC_CALLBACK_SECRET is not set: set it to the server's value (with DEBUG=true both use the "
                "development secret)."
            )
        message = last_sms(options["case"])
        if options["kind"] == "receipt":
            payload = receipt_payload(message, options["status"])
        else:
            payload = reply_payload(message, options["text"])
        kind = "receipts" if options["kind"] == "receipt" else "replies"
        path = reverse(f"api-provider-{kind}", kwargs={"provider": PROVIDER})
        body = json.dumps(payload, ensure_ascii=False).encode()
        status, answer = post_signed(options["url"].rstrip("/") + path, body, secret)
        self.stdout.write(f"POST {path} -> {status} {answer}")
        if status != 200:
            raise CommandError(f"The server refused the {options['kind']} ({status}).")
