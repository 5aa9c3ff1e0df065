"""Admin: rule packs are edited as new versions; decisions are read-only evidence."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import Max
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin

from . import packs
from .models import Decision, Erasure, EvidenceLink, RecordHold, RulePack, ValidationNotice, VerificationRun


@admin.register(RulePack)
class RulePackAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "created_at", "created_by", "note"]
    list_filter = ["code"]
    readonly_fields = ["version", "created_at", "created_by"]
    fields = ["code", "version", "params", "note", "created_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        # The code of an existing pack is fixed; its parameters and note are what an edit changes.
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def save_model(self, request, obj: RulePack, form, change: bool) -> None:
        """Saving never changes a version in place: it writes the next version of the pack, so every
        decision keeps pointing at the parameters it was made with."""
        latest = RulePack.objects.filter(code=obj.code).aggregate(v=Max("version"))["v"] or 0
        new = RulePack(
            code=obj.code,
            version=latest + 1,
            params=obj.params,
            note=obj.note,
            created_by=request.user if request.user.is_authenticated else None,
        )
        new.save()
        obj.pk, obj.version = new.pk, new.version
        packs.clear_cache()
        if change:
            messages.info(request, f"Saved as {new}.")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "evaluated_at",
        "borrower",
        "channel",
        "party",
        "allowed",
        "dry_run",
        "rule_pack",
        "override_of",
    ]
    list_filter = ["allowed", "dry_run", "channel", "rule_pack", "actor_kind"]
    search_fields = ["borrower__external_id", "to"]
    date_hierarchy = "evaluated_at"
    list_select_related = ["borrower"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["facts_pretty"]

    @admin.display(description="facts")
    def facts_pretty(self, obj: Decision) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.facts, indent=2, ensure_ascii=False))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Evidence and verification results are read-only: the chain is written by the application only,
# and an admin edit would (rightly) show up as tampering.
@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ReadOnlyAdmin):
    list_display = ("borrower_id", "seq", "kind", "object_id", "chain_hash", "created_at")
    list_filter = ("kind",)
    search_fields = ("=borrower__id", "=object_id", "chain_hash")


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "started_by", "scope", "borrowers_checked", "links_checked", "ok")
    list_filter = ("ok",)


# The records lifecycle (compliance.lifecycle): erasures are written by `erase_borrower` and the retention
# purge only, and linked into the evidence chain; record holds are set here by a compliance officer.
@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ("performed_at", "borrower_id", "reason", "status", "legal_basis")
    list_filter = ("reason", "status")
    search_fields = ("=borrower__id",)


@admin.register(RecordHold)
class RecordHoldAdmin(admin.ModelAdmin):
    list_display = ("borrower", "kind", "starts_at", "ends_at", "created_by")
    list_filter = ("kind",)
    raw_id_fields = ("borrower",)
    readonly_fields = ("created_at", "created_by")

    def save_model(self, request, obj: RecordHold, form, change: bool) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # end a hold with ends_at: its history is evidence too


# Regulation F validation notices (compliance.validation): scheduled by the gate, sent by outreach, their
# verification recorded on the case page; read-only here.
@admin.register(ValidationNotice)
class ValidationNoticeAdmin(ReadOnlyAdmin):
    list_display = ("case_id", "status", "channel", "sent_at", "period_end", "disputed_at", "verified_at")
    list_filter = ("status", "channel")
    search_fields = ("=case__id", "=borrower__id")
