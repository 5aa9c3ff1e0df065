"""Filling a message template for one reminder, and screening template text for prohibited content."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Sum

from cases.models import Installment
from compliance.screening import screen_text

if TYPE_CHECKING:
    from cases.models import Case

    from .models import MessageTemplate

# Every SMS and email tells how to opt out (US `missing_opt_out` checks for "STOP" / "unsubscribe").
OPT_OUT_TEXT = {
    ("sms", "en"): "Reply STOP to opt out.",
    ("sms", "zh-hans"): "回复TD退订 (STOP)。",
    ("email", "en"): "To unsubscribe from these reminders, reply with 'unsubscribe'.",
    ("email", "zh-hans"): "如需退订此类提醒，请回复“退订”(unsubscribe)。",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    language: str


class _Missing(dict):
    """format_map helper: an unknown placeholder stays visible instead of raising in a worker."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reminder_context(
    *,
    case: Case,
    due_date: dt.date,
    channel: str,
    language: str,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """`amount`/`currency` given (a repayment plan's installment): they are what the reminder is about."""

    if amount is not None:
        pass
    elif case.dpd > 0:
        amount = case.overdue_amount
    else:
        # Pre-due: what falls due on that date, not the whole outstanding balance.
        totals = Installment.objects.filter(loan_id=case.loan_id, due_date=due_date).aggregate(
            due=Sum("principal_due") + Sum("interest_due") + Sum("fee_due"),
            paid=Sum("principal_paid") + Sum("interest_paid") + Sum("fee_paid") + Sum("waived"),
        )
        amount = max((totals["due"] or Decimal(0)) - (totals["paid"] or Decimal(0)), Decimal(0))
    return {
        "borrower_name": case.borrower.full_name,
        "amount": f"{amount:,.2f}",
        "currency": currency or case.loan.currency,
        "due_date": due_date.isoformat(),
        "dpd": max(case.dpd, 0),
        "loan_ref": case.loan.external_id,
        "platform_name": case.platform.name,
        "opt_out": OPT_OUT_TEXT.get((channel, language), ""),
    }


def render_template(template: MessageTemplate, context: dict[str, Any]) -> Rendered:
    values = _Missing(context)
    return Rendered(
        subject=template.subject.format_map(values),
        body=template.body.format_map(values),
        language=template.language,
    )


def screen_template(template: MessageTemplate) -> list[Any]:
    """The compliance content screener's findings on a template's text (empty: clean).

    Lazy: `compliance.screening` is written by the compliance engineer; until it exists templates are
    still screened by the gate at send time (`message=` is screened there), so nothing unscreened is sent.
    """
    text = f"{template.subject}\n{template.body}".strip()
    return list(screen_text(text, language=template.language))
