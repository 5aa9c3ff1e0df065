"""Write paths for promises to pay (and repayment plans, later)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Platform, User
from cases.models import Case, CaseStatus

from .models import Promise


def _borrower_today(case: Case) -> dt.date:
    """Today where the borrower lives (a promise "for today" made late evening in Shanghai is not past)."""
    tz_name = case.borrower.timezone
    try:
        tz = zoneinfo.ZoneInfo(tz_name) if tz_name else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return timezone.now().astimezone(tz).date()


@transaction.atomic
def promise_create(
    *,
    case: Case,
    amount: Decimal,
    due_date: dt.date,
    created_by: User | None = None,
    created_by_platform: Platform | None = None,
) -> Promise:
    case = Case.objects.select_for_update().select_related("borrower").get(pk=case.pk)
    errors: dict[str, list[str]] = {}
    if case.status != CaseStatus.OPEN:
        errors["case"] = [_("The case is closed; promises are taken on open cases only.")]
    if amount <= 0:
        errors["amount"] = [_("The amount must be positive.")]
    if due_date < _borrower_today(case):
        errors["due_date"] = [_("The due date lies in the past.")]
    if errors:
        raise ValidationError(errors)
    return Promise.objects.create(
        case=case,
        amount=amount,
        due_date=due_date,
        created_by=created_by,
        created_by_platform=created_by_platform,
    )
