"""The wire format of a webhook: the JSON body and its signature.

Receivers verify `X-Signature` against the raw bytes they received, so the body is serialised once,
deterministically, and the very same bytes are signed and sent. What a receiver does:

    expected = "sha256=" + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers["X-Signature"]): reject (401)
    if event_id already processed: answer 2xx and stop (deliveries are at least once)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING

from django.core.serializers.json import DjangoJSONEncoder

if TYPE_CHECKING:
    from .models import WebhookEvent

SIGNATURE_HEADER = "X-Signature"
EVENT_ID_HEADER = "X-Event-Id"
SIGNATURE_PREFIX = "sha256="


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
