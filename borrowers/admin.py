from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Borrower, Email, Hold, OptOut, Phone, ThirdParty
from .regions import region_choices, region_label

BORROWER_FIELDS = (
    "platform",
    "external_id",
    "full_name",
    "date_of_birth",
    "region",
    "timezone",
    "language",
    "address",
    "vulnerabilities",
    "lost_contact",
)


class RegionFilter(admin.SimpleListFilter):
    """The regions borrowers live in, by name in the admin's language (北京, not CN-11)."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        regions = model_admin.get_queryset(request).order_by().values_list("region", flat=True).distinct()
        return region_choices(regions)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(region=self.value()) if self.value() else queryset


class BorrowerAdminForm(forms.ModelForm):
    # Write-only: the stored id is encrypted and never rendered back, not even to administrators.
    new_national_id = forms.CharField(
        label=_("New national id"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Leave empty to keep the current one. It is stored encrypted; only the last four digits are shown."
        ),
    )

    class Meta:
        model = Borrower
        fields = BORROWER_FIELDS

    def save(self, commit: bool = True) -> Borrower:
        borrower = super().save(commit=False)
        if self.cleaned_data.get("new_national_id"):
            borrower.set_national_id(self.cleaned_data["new_national_id"])
        if commit:
            borrower.save()
            self.save_m2m()
        return borrower


class PhoneInline(admin.TabularInline):
    model = Phone
    extra = 0
    fields = ("number", "kind", "autodial_consent", "work_contact_prohibited", "invalid", "position")


class EmailInline(admin.TabularInline):
    model = Email
    extra = 0
    fields = ("address", "kind", "invalid", "position")


class ThirdPartyInline(admin.TabularInline):
    model = ThirdParty
    extra = 0
    fields = ("name", "relationship", "phone", "position")


class HoldInline(admin.TabularInline):
    model = Hold
    extra = 0
    fields = ("kind", "loan", "starts_at", "ends_at", "note", "created_by")
    raw_id_fields = ("loan", "created_by")


class OptOutInline(admin.TabularInline):
    model = OptOut
    extra = 0
    fields = ("channel", "to", "created_at", "created_by")
    readonly_fields = ("created_at",)
    raw_id_fields = ("created_by",)


@admin.register(Borrower)
class BorrowerAdmin(SimpleHistoryAdmin):
    form = BorrowerAdminForm
    list_display = (
        "full_name",
        "external_id",
        "platform",
        "region_name",
        "national_id_masked",
        "lost_contact",
        "updated_at",
    )
    list_filter = ("platform", RegionFilter, "language", "lost_contact")
    list_select_related = ("platform",)
    search_fields = ("full_name", "external_id", "phones__number", "national_id_last4")

    @admin.display(description=_("region"), ordering="region")
    def region_name(self, obj: Borrower) -> str:
        return region_label(obj.region)

    readonly_fields = ("national_id_masked", "created_at", "updated_at")
    fields = (
        "platform",
        "external_id",
        "full_name",
        "national_id_masked",
        "new_national_id",
        "date_of_birth",
        "region",
        "timezone",
        "language",
        "address",
        "vulnerabilities",
        "lost_contact",
        "created_at",
        "updated_at",
    )
    inlines = [PhoneInline, EmailInline, ThirdPartyInline, HoldInline, OptOutInline]
    # Big books: no full COUNT(*) on every changelist, and no select of a million borrowers.
    show_full_result_count = False

    @admin.display(description=_("national id"))
    def national_id_masked(self, obj: Borrower) -> str:
        return obj.national_id_masked or "—"


@admin.register(Hold)
class HoldAdmin(SimpleHistoryAdmin):
    list_display = ("borrower", "kind", "loan", "starts_at", "ends_at", "created_by")
    list_filter = ("kind",)
    list_select_related = ("borrower", "loan", "created_by")
    raw_id_fields = ("borrower", "loan", "created_by")
    search_fields = ("borrower__full_name", "borrower__external_id")
    date_hierarchy = "starts_at"


@admin.register(OptOut)
class OptOutAdmin(SimpleHistoryAdmin):
    list_display = ("borrower", "channel", "to", "created_at", "created_by")
    list_filter = ("channel",)
    list_select_related = ("borrower", "created_by")
    raw_id_fields = ("borrower", "created_by")
    search_fields = ("borrower__full_name", "borrower__external_id", "to")


@admin.register(Phone)
class PhoneAdmin(SimpleHistoryAdmin):
    list_display = ("number", "borrower", "kind", "autodial_consent", "work_contact_prohibited", "invalid")
    list_filter = ("kind", "invalid", "autodial_consent")
    list_select_related = ("borrower",)
    raw_id_fields = ("borrower",)
    search_fields = ("number", "borrower__full_name")


@admin.register(Email)
class EmailAdmin(SimpleHistoryAdmin):
    list_display = ("address", "borrower", "kind", "invalid")
    list_filter = ("kind", "invalid")
    list_select_related = ("borrower",)
    raw_id_fields = ("borrower",)
    search_fields = ("address", "borrower__full_name")


@admin.register(ThirdParty)
class ThirdPartyAdmin(SimpleHistoryAdmin):
    list_display = ("name", "relationship", "phone", "borrower")
    list_filter = ("relationship",)
    list_select_related = ("borrower",)
    raw_id_fields = ("borrower",)
    search_fields = ("name", "phone", "borrower__full_name")
