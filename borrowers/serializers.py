"""Serializers of the borrower API, and the field types every platform API serializer shares.

Serializers here parse and render; the rules (what may change, what is kept) live in services.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from core.api import RFC3339, RFC3339_MESSAGE

from . import validators
from .models import (
    Borrower,
    Email,
    EmailKind,
    Hold,
    HoldKind,
    OptOut,
    Phone,
    PhoneKind,
    Relationship,
    ThirdParty,
    Vulnerability,
)
from .regions import REGION_PATTERN

# --- shared field types -----------------------------------------------------------------------------
#
# Each says its own OpenAPI schema (`openapi_schema`, read by DescribedFieldExtension) and refuses what
# that schema refuses, so that the schema at /api/schema/ and the API agree on what a valid request is.

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
_FULL_DATE = re.compile(r"\A\d{4}-\d\d-\d\d\Z")
# Years 1900 to 8999 as written (and 9000-01-01 for a date): what the date and time fields take.
DATE_PATTERN = r"^(?:(?:19|[2-8]\d)\d\d-\d\d-\d\d|9000-01-01)$"
DATETIME_PATTERN = r"^(?:19|[2-8]\d)\d\d-"


class Described:
    """A serializer field that gives its own OpenAPI schema for requests (DescribedFieldExtension)."""

    def openapi_schema(self) -> dict[str, Any]:
        raise NotImplementedError


class DescribedFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "borrowers.serializers.Described"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return self.target.openapi_schema()
        return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)


class ApiDateTimeField(Described, serializers.DateTimeField):
    """ISO 8601 with an explicit offset out; in, an RFC 3339 time (seconds and offset included) written
    between the years 1900 and 8999.

    DRF converts the parsed value to UTC; a year-9999 time with a negative offset would overflow there
    and answer 500, so out-of-range values are refused first.
    """

    default_error_messages = {
        "range": _("Enter a time between 1900 and 9000."),
        "rfc3339": RFC3339_MESSAGE,
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            if len(value) > 64 or not RFC3339.match(value):
                self.fail("rfc3339")
            if not 1900 <= int(value[:4]) <= 8999:
                self.fail("range")
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            self.fail("range")
        if not isinstance(value, str) and not (EARLIEST <= result <= LATEST):
            self.fail("range")
        return result

    def to_representation(self, value):
        if value is None:
            return None
        return timezone.localtime(value, dt.UTC).isoformat()

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("range")

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}


class ApiDateField(Described, serializers.DateField):
    """A date as YYYY-MM-DD, from 1900-01-01 to 9000-01-01."""

    default_error_messages = {"range": _("Enter a date between 1900 and 9000.")}

    def to_internal_value(self, value):
        if isinstance(value, str) and not _FULL_DATE.match(value):
            self.fail("invalid", format="YYYY-MM-DD")
        result = super().to_internal_value(value)
        if not (dt.date(1900, 1, 1) <= result <= dt.date(9000, 1, 1)):
            self.fail("range")
        return result

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}


def _upto(n: int) -> str:
    return "{0," + str(n) + "}"


def decimal_pattern(whole: int, places: int, *, allow_zero: bool) -> str:
    """The regex of a decimal string of at most `whole` digits before the point and `places` after it, no
    leading zeros; above zero unless `allow_zero`."""
    integer = r"[1-9]\d" + _upto(whole - 1)
    fraction = r"\.\d{1," + str(places) + "}"
    if allow_zero:
        return "^(?:0|" + integer + ")(?:" + fraction + ")?$"
    small = "|".join(
        "0" * k + "[1-9]" + (r"\d" + _upto(places - 1 - k) if k < places - 1 else "") for k in range(places)
    )
    return "^(?:" + integer + "(?:" + fraction + r")?|0\.(?:" + small + "))$"


class DecimalStringField(Described, serializers.DecimalField):
    """A decimal as a JSON string of digits: `"1234.56"`, no sign, exponent, spaces or leading zeros, at
    most `decimal_places` decimals. A JSON number is refused (its binary value is not the decimal meant)."""

    default_error_messages = {"string": _('Enter a decimal string such as "1234.56".')}
    # Both are required here (DRF's DecimalField allows None for either).
    max_digits: int
    decimal_places: int

    def __init__(self, *, allow_zero: bool = True, **kwargs):
        kwargs.setdefault("min_value", Decimal(0) if allow_zero else Decimal(1).scaleb(-kwargs["decimal_places"]))
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)
        self.allow_zero = allow_zero
        whole = self.max_digits - self.decimal_places
        self.plain = re.compile(decimal_pattern(whole, self.decimal_places, allow_zero=True))

    def to_internal_value(self, data):
        if isinstance(data, Decimal):  # from Python callers
            return super().to_internal_value(data)
        if not isinstance(data, str):
            self.fail("string")
        if not self.plain.fullmatch(data):
            self.fail("string")
        return super().to_internal_value(data)

    def openapi_schema(self) -> dict[str, Any]:
        whole = self.max_digits - self.decimal_places
        pattern = decimal_pattern(whole, self.decimal_places, allow_zero=self.allow_zero)
        return {"type": "string", "format": "decimal", "pattern": pattern, "example": "1234.56"}


class MoneyField(DecimalStringField):
    """A positive amount with at most two decimal places, as a string ("1234.56"); zero with `allow_zero`."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(allow_zero=allow_zero, **kwargs)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegionField(Described, StrictCharField):
    """An ISO 3166-2 region of any country (borrowers.regions.known_regions, about 5,000 codes).

    The schema gives the code's form, not the list: an enum of every subdivision would weigh on every
    client and make schema-driven tools try each code. A well-formed code ISO does not list is a 400."""

    def openapi_schema(self) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": REGION_PATTERN,
            "minLength": 4,
            "maxLength": 6,
            "description": "An ISO 3166-2 subdivision code, e.g. CN-31, CN-SH, US-NY, GB-ENG, DE-BE, JP-13 "
            "(any code ISO 3166-2 lists; China's GB/T 2260 numeric codes too).",
            "example": "CN-31",
        }


class CurrencyField(Described, StrictCharField):
    """An active ISO 4217 currency code (borrowers.validators.ISO_4217_CODES)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def openapi_schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": sorted(validators.ISO_4217_CODES)}


class ExternalIdField(StrictCharField):
    """An external id the platform chooses for a new object (borrowers.validators.validate_external_id):
    refused, not trimmed, when it holds whitespace or anything else a URL would have to escape."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", validators.EXTERNAL_ID_MAX_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(validators.validate_external_id)


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false only: a stray "yes" or 2 for a consent flag is an error, not a guess."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# --- borrowers ---------------------------------------------------------------------------------------


class PhoneInputSerializer(serializers.Serializer):
    number = StrictCharField(max_length=32)
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.MOBILE)
    autodial_consent = StrictBooleanField(default=False)
    work_contact_prohibited = StrictBooleanField(default=False)

    def validate_number(self, value: str) -> str:
        return validators.normalize_e164(value)


class EmailInputSerializer(serializers.Serializer):
    address = serializers.EmailField(max_length=254)
    kind = serializers.ChoiceField(choices=EmailKind.choices, default=EmailKind.PERSONAL)


class ThirdPartyInputSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    relationship = serializers.ChoiceField(choices=Relationship.choices, default=Relationship.REFERENCE)
    phone = StrictCharField(max_length=32, required=False, allow_blank=True, allow_null=True, default="")

    def validate_phone(self, value: str | None) -> str:
        return validators.normalize_e164(value) if value else ""


def _unique(items: list[dict], key, message: StrOrPromise) -> list[dict]:
    seen = set()
    for item in items:
        k = key(item)
        if k in seen:
            raise serializers.ValidationError(message)
        seen.add(k)
    return items


class BorrowerInputSerializer(serializers.Serializer):
    external_id: StrictCharField = ExternalIdField()
    full_name = StrictCharField(max_length=200)
    region = RegionField(max_length=10)
    timezone = StrictCharField(max_length=64, required=False, allow_blank=True)
    national_id = StrictCharField(max_length=64, required=False, allow_blank=True, allow_null=True, write_only=True)
    date_of_birth = ApiDateField(required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Borrower._meta.get_field("language").choices or (), required=False)
    address = StrictCharField(max_length=1000, required=False, allow_blank=True)
    phones = PhoneInputSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)
    emails = EmailInputSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)
    third_parties = ThirdPartyInputSerializer(many=True, required=False, max_length=20)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Vulnerability.choices), required=False, max_length=10
    )

    def validate_region(self, value: str) -> str:
        return validators.validate_region(value)

    def validate_timezone(self, value: str) -> str:
        return validators.validate_timezone(value)

    def validate_date_of_birth(self, value: dt.date | None) -> dt.date | None:
        if value and value > timezone.now().date():
            raise serializers.ValidationError(_("The date of birth lies in the future."))
        return value

    def validate_phones(self, value: list[dict]) -> list[dict]:
        return _unique(value, lambda p: p["number"], _("The same number is listed twice."))

    def validate_emails(self, value: list[dict]) -> list[dict]:
        return _unique(value, lambda e: e["address"].lower(), _("The same address is listed twice."))

    def validate_vulnerabilities(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class BorrowerUpdateSerializer(BorrowerInputSerializer):
    """PATCH: every field optional; external_id may be repeated but not changed.

    Only the borrower's own fields are optional: a phone, e-mail or third party sent is a whole item, its
    required keys required. (DRF's `partial=True` would reach into the nested items too and let an e-mail
    without its address through.)
    """

    # The borrower's own id, whatever it is (one stored before ids were limited to URL-safe characters too).
    external_id = StrictCharField(max_length=validators.EXTERNAL_ID_MAX_LENGTH, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

    def validate_external_id(self, value: str) -> str:
        if self.instance is not None and value != self.instance.external_id:
            raise serializers.ValidationError(_("The external id of a borrower cannot be changed."))
        return value


MAX_BULK = 10_000


class BorrowerBulkInputSerializer(serializers.Serializer):
    """For the schema: the bulk endpoint also takes a bare list of borrowers."""

    borrowers = BorrowerInputSerializer(many=True, allow_empty=False, min_length=1, max_length=MAX_BULK)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)


class BorrowerBulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class PhoneOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phone
        fields = ["id", "number", "kind", "autodial_consent", "work_contact_prohibited", "invalid"]


class EmailOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = ["id", "address", "kind", "invalid"]


class ThirdPartyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ThirdParty
        fields = ["id", "name", "relationship", "phone"]


class BorrowerOutputSerializer(serializers.ModelSerializer):
    national_id = serializers.CharField(
        source="national_id_masked", read_only=True, allow_null=True, help_text="Masked: never returned in full."
    )
    phones = PhoneOutputSerializer(many=True, read_only=True)
    emails = EmailOutputSerializer(many=True, read_only=True)
    third_parties = ThirdPartyOutputSerializer(many=True, read_only=True)
    vulnerabilities = serializers.ListField(child=serializers.ChoiceField(choices=Vulnerability.choices))
    created_at = ApiDateTimeField(read_only=True)
    updated_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = Borrower
        fields = [
            "external_id",
            "full_name",
            "region",
            "timezone",
            "national_id",
            "date_of_birth",
            "language",
            "address",
            "phones",
            "emails",
            "third_parties",
            "vulnerabilities",
            "lost_contact",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["national_id"] = data["national_id"] or None
        return data


# --- holds and opt-outs ------------------------------------------------------------------------------


class HoldInputSerializer(serializers.Serializer):
    # `paused` is written only with a delinquency pause (POST /loans/{external_id}/pauses/), which also
    # stops the DPD: a bare paused hold would silence the loan without pausing its clock.
    kind = serializers.ChoiceField(choices=[c for c in HoldKind.choices if c[0] != HoldKind.PAUSED])
    loan = StrictCharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    starts_at = ApiDateTimeField(required=False, allow_null=True)
    ends_at = ApiDateTimeField(required=False, allow_null=True)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class HoldLiftSerializer(serializers.Serializer):
    ends_at = ApiDateTimeField(required=False, help_text="Default: now.")


class HoldOutputSerializer(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.external_id", read_only=True)
    loan = serializers.CharField(source="loan.external_id", read_only=True, allow_null=True, default=None)
    starts_at = ApiDateTimeField(read_only=True)
    ends_at = ApiDateTimeField(read_only=True, allow_null=True)
    created_at = ApiDateTimeField(read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Hold
        fields = ["id", "borrower", "kind", "loan", "starts_at", "ends_at", "note", "active", "created_at"]

    def get_active(self, obj: Hold) -> bool:
        return obj.is_active(timezone.now())


class OptOutInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=OptOut.OPT_OUT_CHANNELS)
    to = StrictCharField(max_length=254, required=False, allow_blank=True, allow_null=True, default="")


class OptOutOutputSerializer(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.external_id", read_only=True)
    created_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = OptOut
        fields = ["id", "borrower", "channel", "to", "created_at"]
