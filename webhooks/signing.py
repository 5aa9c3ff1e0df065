"""The wire format of a webhook: the JSON body and its signatures.

Receivers verify against the raw bytes they received, so the body is serialised once,
deterministically, and the very same bytes are signed and sent. Every delivery carries two signatures
made with the platform's webhook secret:

1. `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (API.md). What a receiver does:

       expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
       if not hmac.compare_digest(expected, request.headers["X-Signature"]): reject (401)
       if event_id already processed: answer 2xx and stop (deliveries are at least once)

   It does not cover time, so a captured delivery can be replayed later; de-duplicating on
   `event_id` is the receiver's only defence.

2. Standard Webhooks (https://www.standardwebhooks.com/), which signs the time of the attempt too:

       webhook-id:        the event_id (the same on every retry: de-duplicate on it)
       webhook-timestamp: the attempt's time, integer seconds since the epoch (new on every retry)
       webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{raw body}">

   A receiver recomputes the signature, compares it in constant time, and refuses a timestamp more
   than five minutes away from its own clock: a captured delivery is useless once it is that old.
   `verify_standard` below does exactly this and is what a Python receiver can copy. The HMAC key is
   the secret's UTF-8 bytes, as for X-Signature; the Standard Webhooks libraries take their key as
   `"whsec_" + base64(secret bytes)`, so a receiver using one passes
   `"whsec_" + base64.b64encode(secret.encode()).decode()`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder

if TYPE_CHECKING:
    from .models import WebhookEvent

SIGNATURE_HEADER = "X-Signature"
EVENT_ID_HEADER = "X-Event-Id"
SIGNATURE_PREFIX = "sha256="

# Standard Webhooks
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
STANDARD_SIGNATURE_VERSION = "v1"
# What the Standard Webhooks libraries accept on either side of the receiver's clock.
TIMESTAMP_TOLERANCE_S = 5 * 60


def event_body(event: WebhookEvent) -> bytes:
    """`{"event_id", "type", "created_at", "data"}` as compact UTF-8 JSON, the same bytes on every retry."""
    document = {
        "event_id": str(event.event_id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: bytes, secret: str) -> str:
    """The `X-Signature` value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, secret: str, header_value: str) -> bool:
    """What a receiver does; constant-time so the comparison leaks nothing about the expected value."""
    return hmac.compare_digest(sign(body, secret), header_value or "")


def sign_standard(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"{STANDARD_SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def standard_headers(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> dict[str, str]:
    """The three Standard Webhooks headers of one delivery attempt."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: sign_standard(msg_id=msg_id, timestamp=timestamp, body=body, secret=secret),
    }


class WebhookVerificationError(Exception):
    """The delivery is not to be trusted; the message says why (for the receiver's log, not the sender)."""


def verify_standard(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    now: float,
    tolerance_s: int = TIMESTAMP_TOLERANCE_S,
) -> str:
    """What a receiver does with the Standard Webhooks headers; returns the webhook-id when all is well.

    `headers` as received (any case); `now` is the receiver's clock in seconds since the epoch (pass
    `time.time()`). Raises WebhookVerificationError when a header is missing, the timestamp is further
    than `tolerance_s` from `now` (a replay, or a clock badly off), or no `v1` signature matches.
    The id must still be checked against the ones already processed: retries are sent on purpose.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(ID_HEADER, "")
    raw_timestamp = lowered.get(TIMESTAMP_HEADER, "")
    signatures = lowered.get(STANDARD_SIGNATURE_HEADER, "")
    if not (msg_id and raw_timestamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from None
    if abs(now - timestamp) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance (a replay, or a clock off)")
    expected = sign_standard(msg_id=msg_id, timestamp=timestamp, body=body, secret=secret)
    # The header may list several space-separated signatures (a sender rotating its secret).
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures.split()):
        raise WebhookVerificationError("no webhook-signature matches")
    return msg_id
