"""Serializers of the loan, payment and case API. Parsing and rendering only; rules live in services."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from borrowers import validators
from borrowers.serializers import (
    ApiDateField,
    ApiDateTimeField,
    CurrencyField,
    DecimalStringField,
    ExternalIdField,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
)

from .models import (
    Case,
    Installment,
    LawyerLetter,
    LegalProceeding,
    Loan,
    LoanPause,
    Payment,
    PaymentAllocation,
    Product,
)

MAX_INSTALLMENTS = 1200


_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_MONEY = re.compile(r"(?:0|[1-9]\d{0,11})\.\d{2}")  # as MoneyField reads it
_INSTALLMENT_KEYS = frozenset(("seq", "due_date", "principal_due", "interest_due", "fee_due"))
_NO_AMOUNT = Decimal("0.00")


def _plain_money(value) -> Decimal | None:
    return Decimal(value) if type(value) is str and _PLAIN_MONEY.fullmatch(value) else None


def _plain_installment(item) -> dict | None:
    """The validated installment for the plain, valid shape every upload sends (integer seq,
    "YYYY-MM-DD", "1234.56"), as the serializer would give it; None for anything else, which then
    goes through the serializer (so every error keeps its shape and message)."""
    if type(item) is not dict or not item.keys() <= _INSTALLMENT_KEYS:
        return None
    seq, due = item.get("seq"), item.get("due_date")
    if type(seq) is not int or not 1 <= seq <= 10_000 or type(due) is not str or not _PLAIN_DATE.fullmatch(due):
        return None
    try:
        due_date = dt.date.fromisoformat(due)
    except ValueError:
        return None
    if not dt.date(1900, 1, 1) <= due_date <= dt.date(9000, 1, 1):
        return None
    principal = _plain_money(item.get("principal_due"))
    interest = _plain_money(item["interest_due"]) if "interest_due" in item else _NO_AMOUNT
    fee = _plain_money(item["fee_due"]) if "fee_due" in item else _NO_AMOUNT
    if principal is None or interest is None or fee is None or principal + interest + fee <= 0:
        return None
    return {"seq": seq, "due_date": due_date, "principal_due": principal, "interest_due": interest, "fee_due": fee}


class InstallmentListSerializer(serializers.ListSerializer):
    """Bulk uploads carry tens of thousands of installments: the plain, valid ones are checked by a
    plain function (the serializer's per-field machinery is most of an upload's time)."""

    def run_child_validation(self, data):
        plain = _plain_installment(data)
        return plain if plain is not None else super().run_child_validation(data)


class InstallmentInputSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=10_000)
    due_date = ApiDateField()
    principal_due = MoneyField(allow_zero=True)
    interest_due = MoneyField(allow_zero=True, required=False, default=Decimal("0.00"))
    fee_due = MoneyField(allow_zero=True, required=False, default=Decimal("0.00"))

    def validate(self, attrs):
        if attrs["principal_due"] + attrs["interest_due"] + attrs["fee_due"] <= 0:
            raise serializers.ValidationError({"principal_due": [_("An installment must have something due.")]})
        return attrs

    class Meta:
        list_serializer_class = InstallmentListSerializer


_LOAN_KEYS = frozenset(
    (
        "external_id",
        "borrower",
        "product",
        "currency",
        "principal",
        "annual_rate",
        "disbursed_on",
        "statute_limitations_date",
        "installments",
    )
)


_PRODUCTS = frozenset(Product.values)
_DEFAULT_PRODUCT = Product.CONSUMER_LOAN.value


def _plain_text(value, max_length: int) -> bool:
    # What StrictCharField would accept unchanged: text, already trimmed, printable ASCII.
    return (
        type(value) is str
        and 0 < len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and (value == value.strip())
    )


def _plain_date(value) -> dt.date | None:
    if type(value) is not str or not _PLAIN_DATE.fullmatch(value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if dt.date(1900, 1, 1) <= day <= dt.date(9000, 1, 1) else None


def _plain_loan(row, child: LoanInputSerializer) -> dict | None:
    """The validated loan for the plain, valid shape uploads send, as the serializer would give it; None
    for anything else (which then takes the serializer's path, so every error keeps its shape). A bulk
    upload is 10,000 of these: the per-field machinery was most of its time (docs/performance.md)."""
    if type(row) is not dict or not row.keys() <= _LOAN_KEYS or row.get("annual_rate") is not None:
        return None
    external_id, borrower, currency = row.get("external_id"), row.get("borrower"), row.get("currency")
    if not (
        type(external_id) is str
        and validators.EXTERNAL_ID_RE.match(external_id)
        and _plain_text(borrower, 100)
        and type(currency) is str
    ):
        return None
    product = row.get("product", _DEFAULT_PRODUCT)
    principal = _plain_money(row.get("principal"))
    disbursed = _plain_date(row.get("disbursed_on"))
    items = row.get("installments")
    if product not in _PRODUCTS or principal is None or principal <= 0 or disbursed is None:
        return None
    if type(items) is not list or not 0 < len(items) <= MAX_INSTALLMENTS:
        return None
    installments = [plain for item in items if (plain := _plain_installment(item)) is not None]
    if len(installments) != len(items):
        return None
    attrs = {
        "external_id": external_id,
        "borrower": borrower,
        "product": product,
        "currency": currency,
        "principal": principal,
        "disbursed_on": disbursed,
    }
    if "annual_rate" in row:
        attrs["annual_rate"] = None
    if "statute_limitations_date" in row:
        sol = row["statute_limitations_date"]
        attrs["statute_limitations_date"] = None if sol is None else _plain_date(sol)
        if sol is not None and attrs["statute_limitations_date"] is None:
            return None
    try:
        attrs["currency"] = validators.validate_currency(currency)
        attrs["installments"] = child.validate_installments(installments)
        return child.validate(attrs)
    except (serializers.ValidationError, DjangoValidationError):
        return None


class LoanListSerializer(serializers.ListSerializer):
    def run_child_validation(self, data):
        plain = _plain_loan(data, self.child)
        return plain if plain is not None else super().run_child_validation(data)


class LoanInputSerializer(serializers.Serializer):
    external_id = ExternalIdField()
    borrower = StrictCharField(max_length=100, help_text="The borrower's external_id.")
    product = serializers.ChoiceField(choices=Product.choices, required=False, default=Product.CONSUMER_LOAN)
    currency = CurrencyField(help_text="ISO 4217, e.g. CNY")
    principal = MoneyField()
    annual_rate = DecimalStringField(max_digits=7, decimal_places=4, required=False, allow_null=True)
    disbursed_on = ApiDateField()
    statute_limitations_date = ApiDateField(required=False, allow_null=True)
    installments = InstallmentInputSerializer(many=True, allow_empty=False, min_length=1, max_length=MAX_INSTALLMENTS)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)

    class Meta:
        list_serializer_class = LoanListSerializer

    def validate_currency(self, value: str) -> str:
        return validators.validate_currency(value)

    def validate_installments(self, value: list[dict]) -> list[dict]:
        seqs = [i["seq"] for i in value]
        if len(seqs) != len(set(seqs)):
            raise serializers.ValidationError(_("Installment numbers (seq) must be unique."))
        return sorted(value, key=lambda i: i["seq"])

    def validate(self, attrs):
        errors = {}
        disbursed = attrs["disbursed_on"]
        if any(i["due_date"] < disbursed for i in attrs["installments"]):
            errors["installments"] = [_("An installment falls due before the loan was disbursed.")]
        sol = attrs.get("statute_limitations_date")
        if sol and sol < disbursed:
            errors["statute_limitations_date"] = [_("This date lies before the disbursement.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class LoanBulkInputSerializer(serializers.Serializer):
    loans = LoanInputSerializer(many=True, allow_empty=False, min_length=1, max_length=10_000)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)


class InstallmentOutputSerializer(serializers.ModelSerializer):
    paid_off_at = ApiDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Installment
        fields = [
            "seq",
            "due_date",
            "principal_due",
            "interest_due",
            "fee_due",
            "principal_paid",
            "interest_paid",
            "fee_paid",
            "waived",
            "paid_off_at",
            # Charges accrued by the refresh (docs/fees.md): totals to date, paid, forgiven.
            "late_fee_due",
            "late_fee_paid",
            "late_fee_waived",
            "penalty_due",
            "penalty_paid",
            "penalty_waived",
        ]
        read_only_fields = fields


class LoanOutputSerializer(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.external_id", read_only=True)
    installments = InstallmentOutputSerializer(many=True, read_only=True)
    case = serializers.IntegerField(
        source="open_case_id", read_only=True, allow_null=True, help_text="Id of the open case, or null."
    )
    charges_outstanding = serializers.SerializerMethodField(
        help_text="Late fees and penalty interest still to pay (included in outstanding and overdue_amount)."
    )
    created_at = ApiDateTimeField(read_only=True)
    updated_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = Loan
        fields = [
            "external_id",
            "borrower",
            "product",
            "currency",
            "principal",
            "annual_rate",
            "disbursed_on",
            "statute_limitations_date",
            "installments",
            "outstanding",
            "overdue_amount",
            "dpd",
            "stage",
            "case",
            "charges_outstanding",
            "written_off_on",
            "written_off_amount",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_charges_outstanding(self, loan: Loan) -> str:
        return str(sum((i.charges_open for i in loan.installments.all()), Decimal("0.00")))


class LoanBulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class PaymentInputSerializer(serializers.Serializer):
    external_id = ExternalIdField()
    loan = StrictCharField(max_length=100, help_text="The loan's external_id.")
    amount = MoneyField()
    currency = CurrencyField(required=False, help_text="Default: the loan's; must equal it.")
    paid_at = ApiDateTimeField()
    method = StrictCharField(max_length=50, required=False, allow_blank=True, default="")

    def validate_currency(self, value: str) -> str:
        return validators.validate_currency(value)


class PaymentBulkInputSerializer(serializers.Serializer):
    payments = PaymentInputSerializer(many=True, allow_empty=False, min_length=1, max_length=10_000)  # type: ignore[call-arg]  # the stubs lack many=True's max_length (DRF >= 3.14)


class PaymentBulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Payments recorded by this request.")
    duplicates = serializers.IntegerField(
        help_text="Rows whose external_id was already recorded with the same content (skipped, nothing written)."
    )
    cases_changed = serializers.IntegerField(help_text="Cases the payments re-staged or closed.")


class PaymentAllocationOutputSerializer(serializers.ModelSerializer):
    installment = serializers.IntegerField(source="installment.seq", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["installment", "fee", "interest", "principal", "late_fee", "penalty"]
        read_only_fields = fields


class PaymentOutputSerializer(serializers.ModelSerializer):
    loan = serializers.CharField(source="loan.external_id", read_only=True)
    paid_at = ApiDateTimeField(read_only=True)
    created_at = ApiDateTimeField(read_only=True)
    allocations = PaymentAllocationOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "external_id",
            "loan",
            "amount",
            "currency",
            "paid_at",
            "method",
            "unallocated",
            "allocations",
            "recovery",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"recovery": {"help_text": "Received after the loan was written off (a recovery)."}}


class CaseOutputSerializer(serializers.ModelSerializer):
    loan = serializers.CharField(source="loan.external_id", read_only=True)
    borrower = serializers.CharField(source="borrower.external_id", read_only=True)
    assigned_to = serializers.CharField(source="assigned_to.username", read_only=True, allow_null=True, default=None)
    agency = serializers.CharField(source="agency.name", read_only=True, allow_null=True, default=None)
    next_action_at = ApiDateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "loan",
            "borrower",
            "status",
            "stage",
            "dpd",
            "overdue_amount",
            "risk_segment",
            "assigned_to",
            "agency",
            "next_action_at",
        ]
        read_only_fields = fields


class PauseInputSerializer(serializers.Serializer):
    starts_on = ApiDateField(help_text="The first paused day; may lie in the past (the DPD is recomputed).")
    ends_on = ApiDateField(
        required=False, allow_null=True, default=None, help_text="The last paused day; absent: open."
    )
    reason = StrictCharField(max_length=200)


class PauseEndSerializer(serializers.Serializer):
    ends_on = ApiDateField(help_text="The pause's last paused day (earlier than planned ends it early).")


class PauseOutputSerializer(serializers.ModelSerializer):
    loan = serializers.CharField(source="loan.external_id", read_only=True)
    created_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = LoanPause
        fields = ["id", "loan", "starts_on", "ends_on", "reason", "created_at"]
        read_only_fields = fields


# --- write-off and the legal path (outreach.api_legal; docs/api.md) ------------------------------------------


class WriteOffInputSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, help_text="Why the loan is written off.")
    written_off_on = ApiDateField(required=False, allow_null=True, default=None, help_text="Default: today.")


class WriteOffOutputSerializer(serializers.Serializer):
    loan = serializers.CharField(help_text="The loan's external_id.")
    written_off = serializers.BooleanField()
    written_off_on = ApiDateField(allow_null=True)
    written_off_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    recovered_total = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Payments received since the write-off (recoveries)."
    )


class LegalStepInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LegalProceeding.Kind.choices)
    forum = StrictCharField(max_length=200, help_text="The law firm, the mediator or the court.")
    started_on = ApiDateField(required=False, default=None, allow_null=True, help_text="Default: today.")
    reference = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    next_date = ApiDateField(required=False, allow_null=True, default=None)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")
    send_letter = StrictBooleanField(
        required=False, default=False, help_text="A referral: send its lawyer letter through the compliance gate."
    )


class LegalOutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[c for c in LegalProceeding.Outcome.choices if c[0]], required=False, allow_blank=True, default=""
    )
    ended_on = ApiDateField(required=False, allow_null=True, default=None)
    next_date = ApiDateField(required=False, allow_null=True, default=None)
    reference = StrictCharField(max_length=100, required=False, allow_null=True, allow_blank=True, default=None)
    amount_awarded = MoneyField(allow_zero=True, required=False, allow_null=True)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class LawyerLetterSummarySerializer(serializers.ModelSerializer):
    at = ApiDateTimeField(read_only=True)

    class Meta:
        model = LawyerLetter
        fields = ["id", "language", "status", "at"]
        read_only_fields = fields


class LegalProceedingOutputSerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(source="case_id", read_only=True)
    letters = LawyerLetterSummarySerializer(many=True, read_only=True)
    created_at = ApiDateTimeField(read_only=True)

    class Meta:
        model = LegalProceeding
        fields = [
            "id",
            "case",
            "kind",
            "forum",
            "reference",
            "started_on",
            "next_date",
            "ended_on",
            "outcome",
            "amount_awarded",
            "letters",
            "created_at",
        ]
        read_only_fields = fields
