"""Reads for pages and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from borrowers.zones import tz
from cases.models import Case, CaseStatus

from .contact_times import HISTORY_DAYS, contact_hours
from .models import Alert, ReminderJob, Strategy, Task, TaskStatus
from .planning import strategy_for_case
from .scoring import FACTORS, PAID_RECENTLY_DAYS, TALKED_WITHIN_DAYS


def case_reminders(case: Case) -> QuerySet[ReminderJob]:
    """The case's reminder jobs for its timeline: step, status, why skipped/deferred, the decision and
    the contact attempt the gate wrote, and the message sent. A constant number of queries."""
    return (
        ReminderJob.objects.filter(case=case)
        .select_related("step", "step__strategy", "decision", "contact", "message")
        .order_by("-scheduled_for", "-id")
    )


def user_open_tasks(user) -> QuerySet[Task]:
    return Task.objects.filter(assigned_to=user, status=TaskStatus.OPEN).select_related("case", "case__borrower")


def supervisor_open_alerts(user) -> QuerySet[Alert]:
    return Alert.objects.filter(supervisor=user, acknowledged_at__isnull=True).select_related("borrower", "case")


def tasks_for(user, *, status: str = TaskStatus.OPEN, assignee=None) -> QuerySet[Task]:
    """The tasks a user may see (of the cases they may see), open ones by due time, closed ones newest first."""
    tasks = Task.objects.visible_to(user).select_related("case", "case__borrower", "assigned_to", "closed_by")
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    if assignee is not None:
        tasks = tasks.filter(assigned_to=assignee)
    return tasks.order_by("due_at", "id") if status == TaskStatus.OPEN else tasks.order_by("-closed_at", "-id")


def tasks_due(user, *, until) -> QuerySet[Task]:
    """The user's own open tasks due by `until` (My day)."""
    return tasks_for(user).filter(assigned_to=user, due_at__lte=until)


def alerts_for(user, *, open_only: bool = True) -> QuerySet[Alert]:
    """The alerts a user may see (through their cases): open ones, oldest first; else the acknowledged ones."""
    alerts = Alert.objects.visible_to(user).select_related("borrower", "case", "supervisor", "acknowledged_by")
    if open_only:
        return alerts.filter(acknowledged_at__isnull=True).order_by("created_at", "id")
    return alerts.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-id")


# --- "why this segment" and "best time to contact" on the case page -----------------------------------


@dataclass
class FactorRow:
    name: str
    label: str
    fact: str
    points: int


@dataclass
class HourCell:
    label: str  # "Tuesday 19:00–20:00"
    contacts: int
    payments: int


@dataclass
class SegmentExplanation:
    """What the case page shows of the scorecard, the strategy it picked and the best time to contact."""

    factors: list[FactorRow]
    score: int
    strategy: Strategy | None
    zone: str
    zone_label: str  # as a time's zone is written on the pages ("CST")
    top_hours: list[HourCell]
    by_hour: list[tuple[str, int]]  # (hour label, events) for the hours with events
    peak: int  # the most events in one hour (the bars' scale)
    best_hour_today: str
    history_days: int = HISTORY_DAYS
    events: int = 0
    scored: bool = True


def _factor_fact(name: str, data: dict[str, Any], case: Case) -> str:
    if name == "dpd":
        return _("%(dpd)s days past due") % {"dpd": data.get("dpd", case.dpd)}
    if name == "balance":
        return _("%(amount)s overdue") % {"amount": f"{case.overdue_amount:,.2f} {case.loan.currency}"}
    if name == "payment_history":
        if data.get("paid_recently"):
            return _("Paid in the last %(days)s days") % {"days": PAID_RECENTLY_DAYS}
        return _("Paid before, not recently") if data.get("ever_paid") else _("Never paid")
    if name == "promises":
        return _("%(broken)s broken, %(kept)s kept") % {"broken": data.get("broken", 0), "kept": data.get("kept", 0)}
    if name == "contact":
        if data.get("talked"):
            return _("A conversation in the last %(days)s days") % {"days": TALKED_WITHIN_DAYS}
        return _("No conversation in the last %(days)s days") % {"days": TALKED_WITHIN_DAYS}
    if name == "trajectory":
        return _("Earlier delinquencies of this loan: %(n)s") % {"n": data.get("earlier_episodes", 0)}
    return ""


FACTOR_LABELS = {
    "dpd": gettext_lazy("Days past due"),
    "balance": gettext_lazy("Overdue balance"),
    "payment_history": gettext_lazy("Payment history"),
    "promises": gettext_lazy("Promise record"),
    "contact": gettext_lazy("Contact responsiveness"),
    "trajectory": gettext_lazy("DPD trajectory"),
}


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def case_segment_explanation(case: Case, *, now: dt.datetime) -> SegmentExplanation:
    """The case's risk factors as the last refresh stored them (`Case.risk_factors`), the strategy that
    governs the case now, and the borrower's contact hours (outreach.contact_times) in their local time."""
    stored = case.risk_factors or {}
    factors = [
        FactorRow(name, str(FACTOR_LABELS[name]), _factor_fact(name, stored[name], case), stored[name]["points"])
        for name in FACTORS
        if isinstance(stored.get(name), dict)
    ]
    hours = contact_hours(case.borrower, now=now)
    zone = hours.zone
    by_hour = hours.by_hour()
    top = [
        HourCell(f"{WEEKDAYS[weekday - 1]} {hour_label(hour)}", contacts, payments)
        for weekday, hour, contacts, payments in hours.top(3)
    ]
    today = now.astimezone(tz(zone)).date()
    return SegmentExplanation(
        factors=factors,
        score=case.risk_score,
        strategy=strategy_for_case(case, today) if case.status == CaseStatus.OPEN else None,
        zone=zone,
        zone_label=now.astimezone(tz(zone)).strftime("%Z"),
        top_hours=top,
        by_hour=[(hour_label(h), n) for h, n in enumerate(by_hour) if n],
        peak=max(by_hour),
        best_hour_today=hour_label(best) if (best := hours.best_hour(today)) is not None else "",
        events=hours.total,
        scored=bool(factors),
    )
