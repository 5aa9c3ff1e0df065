from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import WebhookDelivery, WebhookEvent
from .services import event_replay

DELIVERY_FIELDS = ("attempt", "attempted_at", "url", "status_code", "error", "duration_ms", "response_excerpt")


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "platform", "type", "event_id", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "type", "platform"]
    search_fields = ["=event_id"]
    date_hierarchy = "created_at"
    list_select_related = ["platform"]
    actions = ["replay"]
    inlines = [WebhookDeliveryInline]
    # The outbox is written by the services only; editing a row by hand would break the state machine.
    readonly_fields = [
        "platform",
        "event_id",
        "type",
        "payload",
        "created_at",
        "status",
        "attempts",
        "next_attempt_at",
        "enqueued_at",
        "delivered_at",
        "last_error",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay the selected events"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        count = 0
        for event in queryset:
            event_replay(event=event)
            count += 1
        self.message_user(
            request,
            ngettext("%d event queued again.", "%d events queued again.", count) % count,
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["attempted_at", "event", "attempt", "status_code", "duration_ms", "error"]
    list_filter = ["status_code"]
    search_fields = ["=event__event_id"]
    list_select_related = ["event"]
    readonly_fields = [
        "event",
        "attempt",
        "attempted_at",
        "url",
        "status_code",
        "error",
        "duration_ms",
        "response_excerpt",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookDelivery | None = None) -> bool:
        return False
