"""Who may post a provider callback: each provider's own signature scheme, checked on the raw request.

- generic, aliyun: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with the provider's secret
  (`<PROVIDER>_CALLBACK_SECRET`), as our own webhooks are signed.
- twilio: Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the account's auth token
  (`TWILIO_AUTH_TOKEN`), over the full URL Twilio requested followed by every POST parameter, sorted by
  name, as name + value. Twilio signs no time: a replayed request is the same event, recorded once.
- sendgrid: SendGrid's signed event webhook: `X-Twilio-Email-Event-Webhook-Signature` (base64 of a DER
  ECDSA P-256 / SHA-256 signature) over the `X-Twilio-Email-Event-Webhook-Timestamp` header followed by the
  raw body, checked with the public key SendGrid shows (`SENDGRID_WEBHOOK_PUBLIC_KEY`, base64 DER). A
  timestamp further than SENDGRID_TIMESTAMP_TOLERANCE_S from our clock is refused.
- push: the platform reports on its own app's pushes, so it signs with its own webhook secret, not a
  global one: `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>` keyed with the webhook secret of the
  platform that every receipt's message was pushed through. Rotation: the header may carry several
  signatures separated by spaces or commas, and any one made with the current secret is enough, so a
  platform signs with its old and its new secret while the secret is changed on its page, and with the
  new one after.

A provider without its secret or key configured has every callback refused: nothing unsigned is believed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest

from webhooks.signing import sign, signature_is_valid

from .models import OutboundMessage

SIGNATURE_HEADER = "X-Signature"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
SENDGRID_TIMESTAMP_TOLERANCE_S = 5 * 60


def provider_secret(provider: str) -> str:
    return (getattr(settings, "PROVIDER_CALLBACK_SECRETS", {}) or {}).get(provider, "")


def hmac_body_ok(request: HttpRequest, secret: str) -> bool:
    return bool(secret) and signature_is_valid(request.body, secret, request.headers.get(SIGNATURE_HEADER, ""))


# --- Twilio ---------------------------------------------------------------------------------------------


def twilio_signature(url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    """What Twilio sends in X-Twilio-Signature for a POST of `params` to `url`."""
    signed = url + "".join(name + value for name, value in sorted(params, key=lambda p: p[0]))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_ok(request: HttpRequest) -> bool:
    token = provider_secret("twilio")
    header = request.headers.get(TWILIO_SIGNATURE_HEADER, "")
    if not token or not header:
        return False
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    # The URL as Twilio requested it: behind a proxy, its Host and X-Forwarded-Proto must reach us.
    expected = twilio_signature(request.build_absolute_uri(), params, token)
    return hmac.compare_digest(expected, header)


# --- SendGrid -------------------------------------------------------------------------------------------


def sendgrid_ok(request: HttpRequest, *, now: float | None = None) -> bool:
    key_text = provider_secret("sendgrid")
    signature = request.headers.get(SENDGRID_SIGNATURE_HEADER, "")
    timestamp = request.headers.get(SENDGRID_TIMESTAMP_HEADER, "")
    if not key_text or not signature or not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > SENDGRID_TIMESTAMP_TOLERANCE_S:
        return False  # an old capture replayed, or a clock badly off
    try:
        key = load_der_public_key(base64.b64decode(key_text))
        der_signature = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return False
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(der_signature, timestamp.encode() + request.body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# --- app push: the platform's own secret ----------------------------------------------------------------


def _push_messages_named(body: bytes) -> tuple[set[str], set[str]]:
    """The message ids (push event ids) and references a push receipt body names, in the generic shape;
    empty if unreadable."""
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return set(), set()
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        payload = payload["events"]
    items = [item for item in (payload if isinstance(payload, list) else [payload]) if isinstance(item, dict)]
    ids = {str(item["message_id"]) for item in items if item.get("message_id")}
    references = {str(item["reference"]) for item in items if item.get("reference")}
    return ids, references


def push_secrets(body: bytes) -> list[str]:
    """The webhook secret of the one platform whose pushes the receipts name ([] when they name none we
    pushed, or pushes of several platforms: no platform may report on another's)."""
    ids, references = _push_messages_named(body)
    if not (ids or references) or len(ids) + len(references) > 1000:
        return []
    named = OutboundMessage.objects.filter(Q(provider_id__in=ids) | Q(idempotency_key__in=references), provider="push")
    platforms = set(named.values_list("decision__platform_id", "decision__platform__webhook_secret"))
    if len(platforms) != 1:
        return []
    ((_platform_id, secret),) = platforms
    return [secret] if secret else []


def push_ok(request: HttpRequest) -> bool:
    candidates = request.headers.get(SIGNATURE_HEADER, "").replace(",", " ").split()
    if not candidates or len(candidates) > 5:
        return False
    for secret in push_secrets(request.body):
        expected = sign(request.body, secret)
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return True
    return False


VERIFIERS: dict[str, Callable[[HttpRequest], bool]] = {
    "generic": lambda request: hmac_body_ok(request, provider_secret("generic")),
    "aliyun": lambda request: hmac_body_ok(request, provider_secret("aliyun")),
    "twilio": twilio_ok,
    "sendgrid": sendgrid_ok,
    "push": push_ok,
}


def callback_authentic(provider: str, request: HttpRequest) -> bool:
    verifier = VERIFIERS.get(provider)
    return verifier is not None and verifier(request)
