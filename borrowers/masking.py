"""Personal data as shown to someone who may not see it in full (phones, e-mail addresses, names)."""

from __future__ import annotations

import phonenumbers


def mask_phone(number: str) -> str:
    """`+86 139****5678`: enough for a collector to tell numbers apart, not enough to dial."""
    try:
        parsed = phonenumbers.parse(number, None)
        prefix, national = f"+{parsed.country_code} ", phonenumbers.national_significant_number(parsed)
    except phonenumbers.NumberParseException:
        prefix, national = "", number
    if len(national) < 8:
        return prefix + "*" * max(len(national) - 2, 0) + national[-2:]
    return prefix + national[:3] + "*" * (len(national) - 7) + national[-4:]


def mask_email(address: str) -> str:
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_name(name: str) -> str:
    """`张*`, `J*** S****`: each part's first character, so a borrower recognises the greeting while someone
    holding a forwarded link learns no full name before the second factor."""
    return " ".join(part[:1] + "*" * (len(part) - 1) for part in name.split()) or "*"
