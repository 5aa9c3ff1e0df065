"""The borrower seen whole from one case page: every loan and case of the borrower the user may see, the
exposure per currency (never summed across currencies), where the borrower stands against each of the
gate's caps now, and the contact history across loans.

The cap counts are the gate's own: `compliance.preview.cap_counts` reads them from the results of the
same preview the compliance panel shows (the rules compute them), not from a second count here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from borrowers.models import Borrower
from cases.models import Case, CaseStatus, Loan
from compliance.preview import CapCount, Verdict, cap_counts
from contacts.models import ContactAttempt

CONTACT_HISTORY_LIMIT = 30


@dataclass(frozen=True)
class Exposure:
    currency: str
    outstanding: Decimal
    overdue: Decimal
    loans: int


@dataclass(frozen=True)
class CapLine:
    text: str  # "2 of 3 answered calls today"
    reached: bool
    point: str = ""  # the contact point a per-number cap counts for


@dataclass
class BorrowerOverview:
    cases: list[Case]
    exposure: list[Exposure]
    caps: list[CapLine]
    contacts: list[ContactAttempt]


def exposure_by_currency(loans: list[Loan]) -> list[Exposure]:
    """Outstanding and overdue per currency, one line per currency (amounts of different currencies are
    never added together)."""
    outstanding: dict[str, Decimal] = defaultdict(Decimal)
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    count: dict[str, int] = defaultdict(int)
    for loan in loans:
        outstanding[loan.currency] += loan.outstanding
        overdue[loan.currency] += loan.overdue_amount
        count[loan.currency] += 1
    return [Exposure(c, outstanding[c], overdue[c], count[c]) for c in sorted(outstanding)]


def _cap_text(cap: CapCount) -> str:
    values = {"count": cap.count, "limit": cap.limit, "days": cap.window_days}
    if cap.code == "daily_answered_cap":
        return (
            ngettext(
                "%(count)s of %(limit)s answered call today", "%(count)s of %(limit)s answered calls today", cap.limit
            )
            % values
        )
    if cap.code == "daily_unanswered_cap":
        return (
            ngettext(
                "%(count)s of %(limit)s unanswered call to this number today",
                "%(count)s of %(limit)s unanswered calls to this number today",
                cap.limit,
            )
            % values
        )
    if cap.code == "vulnerable_limit":
        return (
            ngettext(
                "%(count)s of %(limit)s call today (vulnerable borrower)",
                "%(count)s of %(limit)s calls today (vulnerable borrower)",
                cap.limit,
            )
            % values
        )
    if cap.window_days == 1:
        return _("%(count)s of %(limit)s call attempts today") % values
    return _("%(count)s of %(limit)s call attempts in %(days)s days") % values


def cap_lines(call_verdicts: list[Verdict]) -> list[CapLine]:
    """One line per cap from the call previews of the case's phones: borrower-wide caps once, a cap per
    number (unanswered calls) for each number."""
    lines: list[CapLine] = []
    seen: set[tuple[str, str, int]] = set()
    for verdict in call_verdicts:
        for cap in cap_counts(verdict):
            per_number = cap.code == "daily_unanswered_cap"
            key = (cap.code, cap.what, cap.window_days)
            if not per_number and key in seen:
                continue
            seen.add(key)
            text = _cap_text(cap)
            if cap.what and cap.code == "state_frequency_cap":
                text = f"{text} · {cap.what}"
            lines.append(CapLine(text, cap.reached, verdict.label if per_number else ""))
    return lines


def borrower_overview(user: User, borrower: Borrower, *, call_verdicts: list[Verdict]) -> BorrowerOverview:
    """What the borrower view of the case page shows, within what `user` may see."""
    cases = list(
        Case.objects.visible_to(user).filter(borrower=borrower).select_related("loan").order_by("-opened_at", "-pk")
    )
    cases.sort(key=lambda c: c.status != CaseStatus.OPEN)  # open ones first, newest first within each
    loans = list({c.loan_id: c.loan for c in cases}.values())
    contacts = list(
        ContactAttempt.objects.visible_to(user)
        .filter(borrower=borrower)
        .select_related("loan", "actor_user")
        .order_by("-at", "-id")[:CONTACT_HISTORY_LIMIT]
    )
    return BorrowerOverview(
        cases=cases, exposure=exposure_by_currency(loans), caps=cap_lines(call_verdicts), contacts=contacts
    )
