"""Admin for supervision records. Evidence and verification results are read-only: the chain is
written by the application only, and an admin edit would (rightly) show up as tampering."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import AgencyContract, EvidenceLink, QualityReview, QualitySample, VerificationRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ReadOnlyAdmin):
    list_display = ("borrower_id", "seq", "kind", "object_id", "chain_hash", "created_at")
    list_filter = ("kind",)
    search_fields = ("=borrower__id", "=object_id", "chain_hash")


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "started_by", "scope", "borrowers_checked", "links_checked", "ok")
    list_filter = ("ok",)


@admin.register(AgencyContract)
class AgencyContractAdmin(SimpleHistoryAdmin):
    list_display = ("agency", "commission_percent", "evaluation_due_on")


@admin.register(QualitySample)
class QualitySampleAdmin(ReadOnlyAdmin):
    list_display = ("contact_id", "reason", "seed", "created_at", "created_by")
    list_filter = ("reason",)


@admin.register(QualityReview)
class QualityReviewAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ("sample", "reviewer", "score", "reviewed_at")
