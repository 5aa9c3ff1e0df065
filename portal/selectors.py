"""Reads for the portal's pages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from borrowers.models import Borrower
from cases.models import Installment, Loan

from .models import PortalActionKind

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LoanDebt:
    loan: Loan
    installments: list[Installment]  # the open ones, oldest first
    total: Decimal  # in the loan's currency (never summed across loans: currencies may differ)


def borrower_debts(borrower: Borrower) -> list[LoanDebt]:
    """What the borrower owes, loan by loan and installment by installment (loans with something owed)."""
    debts = []
    loans = Loan.objects.filter(borrower=borrower).prefetch_related("installments").order_by("disbursed_on", "id")
    for loan in loans:
        open_installments = [
            i for i in sorted(loan.installments.all(), key=lambda i: (i.due_date, i.seq)) if i.remaining > ZERO
        ]
        if open_installments:
            debts.append(LoanDebt(loan, open_installments, sum((i.remaining for i in open_installments), ZERO)))
    return debts


def portal_note(data: dict[str, Any]) -> str | None:
    """The timeline's line for what a borrower did in the portal, in the reader's language: rendered from
    the event's code (data["portal_action"], written by portal.services._record), not from the text stored
    with it, which is in whatever language the borrower's page was. None for any other event (its stored
    text is shown, as for rows written before the code was)."""
    code = data.get("portal_action") if isinstance(data, dict) else None
    if code not in PortalActionKind.values:
        return None
    return _("Borrower (portal): %(action)s") % {"action": PortalActionKind(code).label}
