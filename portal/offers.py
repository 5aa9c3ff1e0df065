"""The repayment plans a borrower may choose on the portal: those within the platform's own limits
(repayment_plans.services.platform_limits), which plan_propose activates at once without a supervisor.

Each offer is computed by plan_preview, the same rules a collector's proposal meets; an offer that the
rules refuse or that would need an approval is not shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from cases.models import Case
from repayment_plans.models import Frequency, Plan, PlanInstallment, PlanKind
from repayment_plans.services import PlanTerms, loan_installments_open, plan_preview

# Installment plans offered, by number of monthly installments (those beyond the limits drop out).
INSTALLMENT_COUNTS = (2, 3, 4, 6, 9, 12)
# The first installment of a new plan falls due this many days after today.
FIRST_DUE_IN_DAYS = 7
# A deferral moves the loan's open installments this many days later.
DEFERRAL_DAYS = (30, 60)


@dataclass(frozen=True)
class Offer:
    code: str  # what the page posts back: "installment-3", "deferral-30"
    proposal: dict[str, Any]  # plan_propose's terms
    terms: PlanTerms

    @property
    def kind(self) -> str:
        return self.terms.kind

    @property
    def first_amount(self):
        return self.terms.lines[0].amount

    def unsaved_plan(self, case: Case) -> tuple[Plan, list[PlanInstallment]]:
        """The plan as it would be written, for its agreement shown before acceptance."""
        t = self.terms
        plan = Plan(
            case=case,
            kind=t.kind,
            currency=t.currency,
            balance=t.balance,
            total_amount=t.total_amount,
            discount_amount=t.discount_amount,
            discount_percent=t.discount_percent,
            term_months=t.term_months,
            installment_count=len(t.lines),
            frequency=t.frequency,
            first_due_date=t.first_due_date,
        )
        return plan, [PlanInstallment(seq=line.seq, due_date=line.due_date, amount=line.amount) for line in t.lines]


def plan_offers(*, case: Case, today: dt.date) -> list[Offer]:
    candidates: list[tuple[str, dict[str, Any]]] = [
        (
            f"installment-{count}",
            {
                "kind": PlanKind.INSTALLMENT,
                "first_due_date": today + dt.timedelta(days=FIRST_DUE_IN_DAYS),
                "installment_count": count,
                "frequency": Frequency.MONTHLY,
            },
        )
        for count in INSTALLMENT_COUNTS
    ]
    open_installments = loan_installments_open(case.loan_id)
    if open_installments:
        first = max(open_installments[0].due_date, today)
        candidates += [
            (f"deferral-{days}", {"kind": PlanKind.DEFERRAL, "first_due_date": first + dt.timedelta(days=days)})
            for days in DEFERRAL_DAYS
        ]
    offers = []
    for code, proposal in candidates:
        try:
            terms = plan_preview(case=case, platform=case.platform, today=today, **proposal)
        except ValidationError:
            continue
        if not terms.needs_approval:
            offers.append(Offer(code, proposal, terms))
    return offers
