"""Encryption at rest for national ids (Fernet, key from FIELD_ENCRYPTION_KEY or SECRET_KEY)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(("national-id:" + secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _key() -> Fernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return _key().encrypt(value.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _key().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def mask(value: str, keep: int = 4) -> str:
    if not value:
        return ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]
