"""Admin: the contact log is read-only (append-only through the gate and the services)."""

from __future__ import annotations

from django.contrib import admin

from .models import ContactAttempt


@admin.register(ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "borrower", "channel", "direction", "party", "to", "outcome", "actor_kind"]
    list_filter = ["channel", "direction", "party", "outcome", "actor_kind"]
    search_fields = ["borrower__external_id", "to"]
    date_hierarchy = "at"
    list_select_related = ["borrower"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
