"""Serializers of the borrower API, and the field types every platform API serializer shares.

Serializers here parse and render; the rules (what may change, what is kept) live in services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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

# --- shared field types -----------------------------------------------------------------------------

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class ApiDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset out; in, an aware time within sane bounds.

    DRF converts the parsed value to UTC; a year-9999 time with a negative offset would overflow there
    and answer 500, so out-of-range values are refused first.
    """

    default_error_messages = {
        "range": _("Enter a time between 1900 and 9000."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 64:
            self.fail("invalid", format="ISO 8601")
        try:
            result = super().to_internal_value(value)
        except OverflowError:
            self.fail("range")
        if not (EARLIEST <= result <= LATEST):
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


class ApiDateField(serializers.DateField):
    default_error_messages = {"range": _("Enter a date between 1900 and 9000.")}

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value) > 32:
            self.fail("invalid", format="YYYY-MM-DD")
        result = super().to_internal_value(value)
        if not (dt.date(1900, 1, 1) <= result <= dt.date(9000, 1, 1)):
            self.fail("range")
        return result


class MoneyField(serializers.DecimalField):
    """A positive amount with at most two decimal places, rendered as a string ("1234.56")."""

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.00") if allow_zero else Decimal("0.01"))
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):  # JSON true is not 1.00
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 40:
            self.fail("max_string_length")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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
    region = StrictCharField(max_length=10)
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

    borrowers = BorrowerInputSerializer(many=True, allow_empty=False, max_length=MAX_BULK)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)


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
    kind = serializers.ChoiceField(choices=HoldKind.choices)
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
