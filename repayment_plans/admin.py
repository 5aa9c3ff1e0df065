from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Promise


@admin.register(Promise)
class PromiseAdmin(SimpleHistoryAdmin):
    list_display = (
        "case",
        "amount",
        "due_date",
        "status",
        "paid_amount",
        "created_by",
        "created_by_platform",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("case", "created_by", "created_by_platform")
    raw_id_fields = ("case", "created_by", "created_by_platform")
    search_fields = ("=case__id",)
    date_hierarchy = "due_date"
    # Status and paid amount are decided by the payment feed (broken/kept detection), not typed in.
    readonly_fields = ("paid_amount", "resolved_at", "created_at")
