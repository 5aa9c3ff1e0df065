"""Plan schedules as pure functions: dates and amounts in, lines out. No database, no clock.

Amounts are Decimal cents throughout. Equal splits round every line down to the cent and let the
last line absorb the remainder, so the schedule always adds up to the total exactly
(1000.00 / 3 -> 333.33, 333.33, 333.34).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ScheduleLine:
    seq: int
    due_date: dt.date
    amount: Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """`count` amounts adding up to `total` to the cent; the last one takes the remainder."""
    if count < 1:
        raise ValueError("count must be at least 1")
    total = cents(total)
    part = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [part] * (count - 1) + [total - part * (count - 1)]


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """The same day of month `months` later, clamped to the month's end (31 Jan -> 28/29 Feb -> 31 Mar)."""
    anchor = anchor_day or day.day
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def due_dates(first: dt.date, count: int, frequency: str) -> list[dt.date]:
    if frequency == "weekly":
        return [first + dt.timedelta(weeks=i) for i in range(count)]
    if frequency == "biweekly":
        return [first + dt.timedelta(weeks=2 * i) for i in range(count)]
    if frequency == "monthly":
        # Anchored on the first date's day so that a 31st stays the 31st where the month has one.
        return [add_months(first, i, anchor_day=first.day) for i in range(count)]
    raise ValueError(f"unknown frequency {frequency!r}")


def months_spanned(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end`, a started month counting as one (approval limits are in months)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day > start.day:
        months += 1
    return max(months, 1)


def build_schedule(
    *,
    total: Decimal,
    count: int,
    frequency: str,
    first_due_date: dt.date,
    amounts: Sequence[Decimal] | None = None,
) -> list[ScheduleLine]:
    """An installment schedule: even split, or the caller's `amounts`, which must add up to `total` exactly."""
    if count < 1:
        raise ValidationError({"installment_count": [_("At least one installment is needed.")]})
    if amounts:
        if len(amounts) != count:
            raise ValidationError(
                {
                    "amounts": [
                        _("%(n)s amounts given for %(count)s installments.") % {"n": len(amounts), "count": count}
                    ]
                }
            )
        if any(a <= 0 for a in amounts):
            raise ValidationError({"amounts": [_("Every installment amount must be positive.")]})
        if any(cents(a) != a for a in amounts):
            raise ValidationError({"amounts": [_("Amounts are in whole cents.")]})
        if sum(amounts, ZERO) != total:
            raise ValidationError(
                {
                    "amounts": [
                        _("The amounts add up to %(sum)s, not to the plan total %(total)s.")
                        % {"sum": sum(amounts, ZERO), "total": total}
                    ]
                }
            )
        parts = list(amounts)
    else:
        parts = split_evenly(total, count)
        if parts[0] <= 0:
            raise ValidationError({"installment_count": [_("Too many installments for this amount.")]})
    dates = due_dates(first_due_date, count, frequency)
    return [ScheduleLine(seq=i + 1, due_date=d, amount=a) for i, (d, a) in enumerate(zip(dates, parts, strict=True))]


def shift_schedule(lines: Sequence[tuple[dt.date, Decimal]], new_first_due_date: dt.date) -> list[ScheduleLine]:
    """A deferral: the same amounts, every date moved by the gap between the first old date and the new one.

    Amounts of zero (installments already paid) are dropped; the spacing between the rest is kept.
    """
    kept = [(d, a) for d, a in sorted(lines) if a > 0]
    if not kept:
        return []
    shift = new_first_due_date - kept[0][0]
    return [ScheduleLine(seq=i + 1, due_date=d + shift, amount=a) for i, (d, a) in enumerate(kept)]
