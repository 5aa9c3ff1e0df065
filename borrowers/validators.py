"""Input validators shared by the platform API serializers (regions, time zones, phones, currencies)."""

from __future__ import annotations

import re
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .regions import ISO_3166_2, is_known_region, normalize_region

# ISO 4217 active codes (2024 list, plus the precious-metal/fund codes lenders never send left out).
ISO_4217_CODES: frozenset[str] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "ZWL",
    ]
)


# External ids (borrowers, loans, payments) are chosen by the platform and name the object in URL paths
# (/borrowers/{external_id}/) and query strings (?borrower=): letters, digits and `. _ : -`, 1 to 100 of them,
# not starting with a dot (`.` and `..` are path segments every client rewrites). Nothing in them needs
# escaping; an id with `/`, whitespace, `?`, `#`, `%`, `+` or a control character was accepted and then
# unreachable. (The pattern is in the OpenAPI schema of every field that takes one.)
EXTERNAL_ID_MAX_LENGTH = 100
EXTERNAL_ID_PATTERN = r"\A[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,99}\Z"  # 1 to EXTERNAL_ID_MAX_LENGTH
EXTERNAL_ID_RE = re.compile(EXTERNAL_ID_PATTERN)
validate_external_id = RegexValidator(
    EXTERNAL_ID_RE,
    message=gettext_lazy(
        "Enter 1 to 100 letters, digits, dots, underscores, colons or hyphens, not starting with a dot "
        "(the id appears in URLs)."
    ),
    code="invalid_external_id",
)


def validate_region(value: str) -> str:
    region = normalize_region(value)
    if not ISO_3166_2.match(region):
        raise ValidationError(_("Enter an ISO 3166-2 region code such as CN-31, US-NY or GB-ENG."))
    if not is_known_region(region):
        raise ValidationError(_("Unknown region %(region)s.") % {"region": region})
    return region


def validate_timezone(value: str) -> str:
    value = value.strip()
    if not value:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(_("Unknown IANA time zone %(tz)s.") % {"tz": value})
    return value


def normalize_e164(value: str) -> str:
    """A valid phone number in E.164 ("+8613912345678"), or a ValidationError."""
    raw = (value or "").strip()
    if not raw.startswith("+"):
        raise ValidationError(_("Enter the number in E.164 format, e.g. +8613912345678."))
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number in E.164 format."))
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("Enter a valid phone number in E.164 format."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_currency(value: str) -> str:
    if not (len(value) == 3 and value.isascii() and value.isupper() and value.isalpha()):
        raise ValidationError(_("Enter an ISO 4217 currency code of three capital letters, e.g. CNY."))
    if value not in ISO_4217_CODES:
        raise ValidationError(_("Unknown ISO 4217 currency code %(code)s.") % {"code": value})
    return value


def normalise_to(value: str | None, *, channel: str, region: str = "") -> str:
    """The canonical form of a number (E.164) or address (lower case), so that the log, opt-outs and
    the borrower's phones compare equal however the caller wrote them."""
    value = (value or "").strip()
    if not value:
        return ""
    if channel in ("call", "sms"):
        country = region.split("-", 1)[0].upper()
        default = country if country in phonenumbers.SUPPORTED_REGIONS else None
        try:
            parsed = phonenumbers.parse(value, default)
        except phonenumbers.NumberParseException:
            return value
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if channel == "email":
        return value.lower()
    return value
