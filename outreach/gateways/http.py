"""SMS and voice-robot providers reached over HTTP: POST JSON, bearer token, idempotency key header.

The provider contract: 2xx with {"id": "...", "status": "..."} accepted; 4xx (but 408/429) the
message can never be sent to that number; 5xx, 408, 429, timeouts and connection errors are transient.
"""

from __future__ import annotations

import requests

from .base import Gateway, Message, SendResult

TRANSIENT_4XX = frozenset({408, 425, 429})


class HttpGateway(Gateway):
    name = "http"

    def __init__(self, *, url: str, token: str = "", timeout_s: float = 10.0) -> None:
        if not url:
            raise ValueError("an HTTP gateway needs a URL (SMS_GATEWAY_URL / VOICE_GATEWAY_URL)")
        self.url = url
        self.token = token
        self.timeout_s = timeout_s

    def send(self, message: Message) -> SendResult:
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {
            "channel": message.channel,
            "to": message.to,
            "body": message.body,
            "language": message.language,
            "reference": message.idempotency_key,
        }
        try:
            response = requests.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            return SendResult(transient_error=f"{type(exc).__name__}: {exc}")
        if response.status_code >= 500 or response.status_code in TRANSIENT_4XX:
            return SendResult(transient_error=f"HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            return SendResult(permanent_error=f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json()
        except ValueError:
            data = {}
        return SendResult(provider_id=str(data.get("id", "")), status=str(data.get("status", "accepted")))
