from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Alert,
    CallScript,
    CollectorProfile,
    Disclosure,
    MessageTemplate,
    OutboundMessage,
    ProviderCallback,
    ReminderJob,
    Strategy,
    StrategyStep,
    Task,
)


class StrategyStepInline(admin.TabularInline):
    model = StrategyStep
    extra = 1
    fields = ["offset_days", "channel", "template_code", "conditions", "active"]


@admin.register(Strategy)
class StrategyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "platform", "product", "risk_segment", "active"]
    list_filter = ["kind", "active", "platform", "product", "risk_segment"]
    inlines = [StrategyStepInline]


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SimpleHistoryAdmin):
    list_display = ["code", "language", "channel", "active", "updated_at"]
    list_filter = ["channel", "language", "active"]
    search_fields = ["code", "subject", "body"]


class DisclosureInline(admin.TabularInline):
    model = Disclosure
    extra = 1
    fields = ["position", "code", "text", "required"]


@admin.register(CallScript)
class CallScriptAdmin(SimpleHistoryAdmin):
    """Call scripts per rule pack, stage and language; their disclosures inline (checked on save for
    prohibited wording, as templates are)."""

    list_display = ["pack", "stage", "language", "title", "active", "updated_at"]
    list_filter = ["pack", "stage", "language", "active"]
    search_fields = ["title", "body", "disclosures__text", "disclosures__code"]
    inlines = [DisclosureInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Jobs and messages are written by the pipeline only; the admin shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReminderJob)
class ReminderJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "case", "step", "due_date", "scheduled_for", "status", "attempts", "deferrals", "skip_reason"]
    list_filter = ["status", "step__channel", "step__strategy"]
    search_fields = ["case__loan__external_id", "case__borrower__external_id"]
    list_select_related = ["step", "case"]
    date_hierarchy = "scheduled_for"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "to", "status", "provider", "provider_id", "created_at", "sent_at", "receipt_at"]
    list_filter = ["channel", "status", "provider"]
    search_fields = ["to", "provider_id", "idempotency_key"]


@admin.register(ProviderCallback)
class ProviderCallbackAdmin(ReadOnlyAdmin):
    """What the providers reported (receipts, bounces, complaints, replies), each once (outreach.callbacks)."""

    list_display = ["id", "provider", "kind", "external_id", "event", "result", "message", "received_at"]
    list_filter = ["provider", "kind", "event", "result"]
    search_fields = ["external_id", "message__provider_id"]
    raw_id_fields = ["message"]
    date_hierarchy = "received_at"


@admin.register(Task)
class TaskAdmin(SimpleHistoryAdmin):
    list_display = ["id", "case", "kind", "assigned_to", "due_at", "status", "reason"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["case", "job"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "borrower", "case", "supervisor", "created_at", "acknowledged_at"]
    list_filter = ["kind"]
    raw_id_fields = ["borrower", "case"]


@admin.register(CollectorProfile)
class CollectorProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "daily_capacity", "specialist", "active"]
    list_filter = ["specialist", "active"]
