from __future__ import annotations

import string

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Agency, IdempotencyRecord, Platform, Team, User


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "team", "agency", "language", "is_active", "is_staff")
    list_filter = ("role", "team", "agency", "language", "is_active", "is_staff", "is_superuser")
    list_select_related = ("team", "agency")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (
            _("Collections"),
            {"fields": ("role", "team", "agency", "language", "timezone", "max_discount_percent", "max_plan_months")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Collections"), {"fields": ("role", "team", "agency", "language")}),
    )


def _show_key_once(request: HttpRequest, platform: Platform, key: str) -> None:
    # Only the hash is stored: this message is the one and only time anybody sees the key.
    messages.warning(
        request,
        format_html(
            "{}: <code>{}</code> — {}",
            _("New API key for %(name)s") % {"name": platform.name},
            key,
            _("copy it now, it will not be shown again."),
        ),
    )


PAYMENT_URL_PLACEHOLDERS = frozenset({"amount", "currency", "reference"})


def payment_url_template_errors(value: str) -> list[str]:
    """Why a platform's payment page template cannot be used (empty: it can): an https URL whose only
    placeholders are {amount}, {currency} and {reference} (the borrower portal fills them in)."""
    if not value.startswith("https://"):
        return [gettext("The payment page must be an https:// address.")]
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(value) if name is not None}
    except ValueError:
        return [gettext("Write a literal brace twice: {{ or }}.")]
    if unknown := names - PAYMENT_URL_PLACEHOLDERS:
        return [gettext("Unknown placeholders: %s") % ", ".join("{" + n + "}" for n in sorted(unknown))]
    return []


class PlatformForm(forms.ModelForm):
    class Meta:
        model = Platform
        fields = (
            "name",
            "default_jurisdiction",
            "is_active",
            "webhook_url",
            "webhook_secret",
            "portal_second_factor",
            "payment_url_template",
            "portal_promise_max_days",
        )

    def clean_payment_url_template(self) -> str:
        value = (self.cleaned_data.get("payment_url_template") or "").strip()
        if value and (errors := payment_url_template_errors(value)):
            raise forms.ValidationError(errors)
        return value


@admin.register(Platform)
class PlatformAdmin(SimpleHistoryAdmin):
    form = PlatformForm
    list_display = ("name", "api_key_prefix", "default_jurisdiction", "webhook_url", "is_active", "created_at")
    list_filter = ("default_jurisdiction", "is_active")
    search_fields = ("name",)
    readonly_fields = ("api_key_prefix", "created_at")
    fields = (
        "name",
        "default_jurisdiction",
        "is_active",
        "webhook_url",
        "webhook_secret",
        "portal_second_factor",
        "payment_url_template",
        "portal_promise_max_days",
        "api_key_prefix",
        "created_at",
    )
    actions = ["rotate_api_keys"]

    def save_model(self, request: HttpRequest, obj: Platform, form, change: bool) -> None:
        key = None if change else obj.rotate_api_key()
        super().save_model(request, obj, form, change)
        if key:
            _show_key_once(request, obj, key)

    @admin.action(description=_("Rotate the API key (the old key stops working at once)"))
    def rotate_api_keys(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset:
            key = platform.rotate_api_key()
            platform.save(update_fields=["api_key_hash", "api_key_prefix", "webhook_secret"])
            _show_key_once(request, platform, key)


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ("name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    """Read-only: these rows replay a platform's first response; editing one would change history."""

    list_display = ("platform", "scope", "key", "response_status", "created_at")
    list_filter = ("platform", "scope")
    search_fields = ("key",)
    list_select_related = ("platform",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.site_header = _("Collections administration")
admin.site.site_title = _("Collections administration")
admin.site.index_title = _("Data and configuration")
