"""The one interface every channel gateway implements."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """What a gateway needs to send; `idempotency_key` is stable across redeliveries of the same job."""

    channel: str
    to: str
    body: str
    idempotency_key: str
    subject: str = ""
    language: str = ""


@dataclass(frozen=True)
class SendResult:
    provider_id: str = ""
    status: str = ""  # the provider's word: accepted, sent, delivered, …
    transient_error: str = ""  # retry later: timeouts, 5xx, 429
    permanent_error: str = ""  # this contact point cannot be reached: bad number, rejected address
    duplicate: bool = False  # the provider had already accepted this idempotency key

    @property
    def ok(self) -> bool:
        return not self.transient_error and not self.permanent_error


class Gateway:
    name = "base"

    def send(self, message: Message) -> SendResult:
        raise NotImplementedError
