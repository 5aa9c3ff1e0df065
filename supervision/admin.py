"""Admin for supervision records; quality samples are read-only."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin

from .models import AgencyContract, QualityReview, QualitySample


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
