"""Channel gateways behind one interface (`Gateway.send(Message) -> SendResult`), chosen by settings."""

from __future__ import annotations

from django.conf import settings

from .base import Gateway, Message, SendResult
from .email import EmailGateway
from .file import FileGateway
from .http import HttpGateway
from .push import PushGateway

__all__ = [
    "Gateway",
    "Message",
    "SendResult",
    "EmailGateway",
    "FileGateway",
    "HttpGateway",
    "PushGateway",
    "gateway_for",
]


def gateway_for(channel: str) -> Gateway:
    """The configured gateway of a channel: SMS_GATEWAY / VOICE_GATEWAY = file | http."""
    if channel == "email":
        return EmailGateway()
    if channel == "push":
        # The platform's own app, through its webhook.
        return PushGateway()
    if channel == "letter":
        # Letters go to the print queue file; the print shop integration reads it.
        return FileGateway()
    if channel == "sms":
        kind, url, token = settings.SMS_GATEWAY, settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN
    elif channel == "call":
        kind, url, token = settings.VOICE_GATEWAY, settings.VOICE_GATEWAY_URL, settings.VOICE_GATEWAY_TOKEN
    else:
        raise ValueError(f"no gateway for channel {channel!r}")
    if kind == "http":
        return HttpGateway(url=url, token=token, timeout_s=settings.GATEWAY_TIMEOUT_S)
    return FileGateway()
