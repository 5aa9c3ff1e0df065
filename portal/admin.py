"""Portal links, what was done through them and the agreements accepted: read-only records; a link can be
revoked (it stops working at once)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import AgreementAcceptance, PortalAction, PortalLink
from .services import portal_link_revoke


@admin.register(PortalLink)
class PortalLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "source", "created_at", "expires_at", "revoked_at", "verified_at")
    list_filter = ("source",)
    list_select_related = ("case",)
    search_fields = ("=id", "=case__id")
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected links (they stop working at once)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[PortalLink]) -> None:
        for link in queryset:
            portal_link_revoke(link=link)
        messages.success(request, _("Links revoked: %(n)s") % {"n": queryset.count()})


@admin.register(PortalAction)
class PortalActionAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "link", "ip")
    list_filter = ("kind",)
    list_select_related = ("link",)


@admin.register(AgreementAcceptance)
class AgreementAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("plan", "accepted_at", "link", "ip", "language")
    list_select_related = ("plan", "link")
