"""Input and output shapes of the compliance gate API (API.md, "The compliance gate")."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework import serializers

from borrowers.models import Channel
from borrowers.serializers import ApiDateTimeField
from contacts.models import Party

from .models import Decision


def message_in_language(result: dict[str, Any]) -> str:
    """A reason's message in the request's language (English unless Chinese was asked for)."""
    language = translation.get_language() or "en"
    return result.get("message_zh") if language.startswith("zh") else result.get("message_en")  # type: ignore[return-value]


def reason_out(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "rule": result["code"],
        "code": result["code"],
        "pack": result.get("pack"),
        "message": message_in_language(result),
        "message_en": result.get("message_en"),
        "message_zh": result.get("message_zh"),
        "next_allowed_at": result.get("next_allowed_at"),
    }


class ActionInputSerializer(serializers.Serializer):
    """The fields of an outreach action, shared by the check and the contact log."""

    borrower = serializers.CharField(max_length=100)
    loan = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    to = serializers.CharField(max_length=254, required=False, allow_blank=True, allow_null=True)
    party = serializers.ChoiceField(choices=Party.choices, default=Party.BORROWER)
    third_party = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    at = ApiDateTimeField(required=False, allow_null=True)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    collectors = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    autodialed = serializers.BooleanField(default=False)
    consented = serializers.BooleanField(default=False)
    at_work = serializers.BooleanField(default=False, help_text="A visit or call at the borrower's workplace.")


class ReasonSerializer(serializers.Serializer):
    rule = serializers.CharField()
    code = serializers.CharField()
    pack = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    message_zh = serializers.CharField()
    next_allowed_at = serializers.DateTimeField(allow_null=True)


class CheckOutputSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    decision = serializers.IntegerField()
    reasons = ReasonSerializer(many=True)
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    rule_pack = serializers.CharField()
    rule_pack_versions = serializers.DictField(child=serializers.IntegerField())
    evaluated_at = serializers.DateTimeField()


def check_body(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "decision": decision.pk,
        "reasons": [reason_out(r) for r in decision.reasons] if not decision.allowed else [],
        "next_allowed_at": decision.next_allowed_at.isoformat().replace("+00:00", "Z")
        if decision.next_allowed_at
        else None,
        "rule_pack": decision.rule_pack,
        "rule_pack_versions": decision.pack_versions,
        "evaluated_at": decision.evaluated_at.isoformat().replace("+00:00", "Z"),
    }


class DecisionOutputSerializer(serializers.ModelSerializer):
    borrower = serializers.CharField(source="borrower.external_id")
    loan = serializers.CharField(source="loan.external_id", allow_null=True, default=None)
    results = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    rule_pack_versions = serializers.DictField(source="pack_versions")
    contact = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "allowed",
            "borrower",
            "loan",
            "case",
            "channel",
            "party",
            "third_party",
            "to",
            "message_digest",
            "actor_kind",
            "at",
            "dry_run",
            "reasons",
            "results",
            "next_allowed_at",
            "rule_pack",
            "rule_pack_versions",
            "facts",
            "evaluated_at",
            "override_of",
            "override_reason",
            "contact",
        ]

    def get_results(self, obj: Decision) -> list[dict[str, Any]]:
        return [{**r, "message": message_in_language(r) if not r["passed"] else ""} for r in obj.results]

    def get_reasons(self, obj: Decision) -> list[dict[str, Any]]:
        return [reason_out(r) for r in obj.reasons]

    def get_contact(self, obj: Decision) -> int | None:
        contact = getattr(obj, "contact", None)
        return contact.pk if contact else None
