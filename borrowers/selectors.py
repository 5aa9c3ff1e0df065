"""Reads for the borrower API."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.api import api_object, api_rows, request_platform
from accounts.models import Platform

from .models import Borrower, Hold, OptOut


def borrower_list(*, request) -> QuerySet[Borrower]:
    return (
        api_rows(Borrower.objects.all(), request).prefetch_related("phones", "emails", "third_parties").order_by("id")
    )


def borrower_get(*, request, external_id: str) -> Borrower:
    """The caller's borrower, or 404 (also for another platform's borrower)."""
    return api_object(borrower_list(request=request), request, external_id=external_id)


def hold_list(*, borrower: Borrower) -> QuerySet[Hold]:
    return borrower.holds.select_related("borrower", "loan").order_by("-starts_at", "-id")


def hold_get(*, request, pk: int) -> Hold:
    return api_object(Hold.objects.select_related("borrower", "loan"), request, pk=pk)


def opt_out_list(*, borrower: Borrower) -> QuerySet[OptOut]:
    return borrower.opt_outs.select_related("borrower").order_by("-created_at", "-id")


def write_platform(*, request):
    """The platform a write is made for: the caller's; a staff user names one with `platform` (id)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    platform = request_platform(request)
    if platform is not None:
        return platform
    raw = request.data.get("platform") if isinstance(request.data, dict) else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        platform = Platform.objects.filter(pk=raw).first() if 0 < raw < 2**31 else None
        if platform is not None:
            return platform
    raise ValidationError({"platform": [_("Staff users name the platform (id) they write for.")]})
