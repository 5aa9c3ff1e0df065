"""Reminder planning: which strategy step falls due for which open case, written as ReminderJob rows.

Set-based: one INSERT per (strategy, step) over every matching case, with `ignore_conflicts` on the
unique key (case, step, due date) so that running the planner twice, or after a crash, never creates a
second job for the same reminder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from borrowers.models import Hold, HoldKind, vulnerable_q
from borrowers.zones import local_day, local_wall_time, primary_zone
from cases.delinquency import unpaid_installments
from cases.models import Case, Payment
from contacts.models import CONVERSATION_OUTCOMES, ContactAttempt, Direction
from repayment_plans.models import Promise, PromiseStatus
from repayment_plans.selectors import case_ids_with_active_plan, plan_installments_due_between

from .contact_times import ContactHours, contact_hours_for
from .experiments import cases_by_arm
from .models import JobStatus, ReminderJob, Strategy, StrategyKind, StrategyStep

# Reminders go out from this local hour on their day (the gate still has the last word on quiet hours).
LOCAL_SEND_HOUR = 9
DEFAULT_RESPONSE_WINDOW_DAYS = 7
# A no_work_contact hold limits where we call, it does not stop the reminders.
NON_FREEZING_HOLDS = frozenset({HoldKind.NO_WORK_CONTACT})

MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass
class PlanResult:
    jobs_created: int = 0
    cases_frozen: int = 0
    # Jobs written for active repayment plans' own installments (also counted in jobs_created).
    plan_jobs_created: int = 0
    created_by_step: dict[int, int] = field(default_factory=dict)


def oldest_unpaid_due_date() -> Subquery:
    return Subquery(
        unpaid_installments().filter(loan_id=OuterRef("loan_id")).order_by("due_date").values("due_date")[:1],
        output_field=models.DateField(),
    )


def _held_q(now: dt.datetime) -> Q:
    """Cases with an active hold that stops reminders (a plan's reminders as well as the strategy's), or
    whose loan is written off or on the legal path (cases.legal: a person works those cases)."""
    holds = (
        Hold.objects.active_at(now)
        .exclude(kind__in=NON_FREEZING_HOLDS)
        .filter(borrower_id=OuterRef("borrower_id"))
        .filter(Q(loan__isnull=True) | Q(loan_id=OuterRef("loan_id")))
    )
    return Q(Exists(holds)) | ~Q(legal_stage="") | Q(loan__written_off_on__isnull=False)


def promise_in_force_q() -> Q:
    """Cases with a promise still in force: pending, or partly kept with its window still open."""

    return Q(
        Exists(
            Promise.objects.filter(
                case_id=OuterRef("pk"),
                status__in=[PromiseStatus.PENDING, PromiseStatus.PARTLY_KEPT],
                resolved_at__isnull=True,
            )
        )
    )


def active_plan_q() -> Q:
    """Cases with an active repayment plan: its own dates drive their reminders, not the strategy's."""

    return Q(pk__in=case_ids_with_active_plan())


def frozen_q(now: dt.datetime, today: dt.date) -> Q:
    """Cases whose staging is frozen: an active hold, an active repayment plan, a promise in force.

    A case with an active plan is off the delinquency strategy but gets the plan's own reminders
    (see `_plan_jobs`); holds and promises in force stop those too."""
    return _held_q(now) | active_plan_q() | promise_in_force_q()


def _strategy_q(strategy: Strategy, today: dt.date) -> Q:
    q = Q()
    if strategy.vulnerable:
        # A humane variant governs only vulnerable borrowers (and, most specific, takes them first).
        q &= vulnerable_q(today, "borrower__")
    if strategy.platform_id:
        q &= Q(platform_id=strategy.platform_id)
    if strategy.product:
        q &= Q(loan__product=strategy.product)
    if strategy.risk_segment:
        q &= Q(risk_segment=strategy.risk_segment)
    return q


def strategies_by_specificity(kind: str = StrategyKind.DELINQUENCY) -> list[Strategy]:
    found = Strategy.objects.filter(active=True, kind=kind).prefetch_related(
        # The strategy's own steps (its champion's); a challenger arm's come through outreach.experiments.
        models.Prefetch(
            "steps", queryset=StrategyStep.objects.filter(active=True, arm__isnull=True).order_by("offset_days", "id")
        )
    )
    return sorted(found, key=lambda s: (-s.specificity, s.pk))


# The cases' queryset as given (annotated or not), so that its annotations stay visible to the caller.
_Cases = TypeVar("_Cases", bound=models.QuerySet[Any, Any])


def cases_by_strategy(
    cases: _Cases, kind: str = StrategyKind.DELINQUENCY, *, today: dt.date | None = None
) -> list[tuple[Strategy, _Cases]]:
    """Each active strategy (of `kind`) with the cases it governs: the most specific match wins, once per
    case (a borrower's vulnerability is judged on `today`)."""
    today = today or timezone.localdate()
    taken = Q(pk__in=[])
    result = []
    for strategy in strategies_by_specificity(kind):
        match = _strategy_q(strategy, today)
        result.append((strategy, cases.filter(match).exclude(taken)))
        taken |= match
    return result


def strategy_for_case(case: Case, today: dt.date | None = None) -> Strategy | None:
    """The delinquency strategy that governs one case (for its page): the order of preference of
    `cases_by_strategy`, matched on the case's own fields in Python, so one query whatever the number of
    strategies (tests hold it to what the planner does)."""
    today = today or timezone.localdate()
    vulnerable = bool(case.borrower.effective_vulnerabilities(today))
    found = Strategy.objects.filter(active=True, kind=StrategyKind.DELINQUENCY)
    for strategy in sorted(found, key=lambda s: (-s.specificity, s.pk)):
        if (
            (strategy.vulnerable and not vulnerable)
            or (strategy.platform_id and strategy.platform_id != case.platform_id)
            or (strategy.product and strategy.product != case.loan.product)
            or (strategy.risk_segment and strategy.risk_segment != case.risk_segment)
        ):
            continue
        return strategy
    return None


def _conditions_q(step: StrategyStep, now: dt.datetime) -> Q:
    """Cases for which the step's conditions do NOT hold (to exclude)."""
    conditions = step.conditions or {}
    excluded = Q(pk__in=[])
    days = conditions.get("no_payment_since_days")
    if days is not None:
        paid = Payment.objects.filter(loan_id=OuterRef("loan_id"), paid_at__gte=now - dt.timedelta(days=days))
        excluded |= Q(Exists(paid))
    if conditions.get("no_response"):
        window = conditions.get("response_window_days", DEFAULT_RESPONSE_WINDOW_DAYS)
        answered = ContactAttempt.objects.filter(
            borrower_id=OuterRef("borrower_id"), at__gte=now - dt.timedelta(days=window)
        ).filter(Q(direction=Direction.INBOUND) | Q(outcome__in=CONVERSATION_OUTCOMES))
        excluded |= Q(Exists(answered))
    return excluded


def scheduled_time(
    *, target: dt.date, now: dt.datetime, borrower_tz: str, region: str, hours: ContactHours | None = None
) -> dt.datetime:
    """The borrower's best hour (outreach.contact_times: the daytime hour their history shows them
    answering or paying, on that weekday if it can) on the day the step is due, else 09:00 local (in
    the borrower's primary zone, `borrowers.zones`; UTC when none is known), or now when that has passed.
    A step whose day is past (a window entered late) is due today. Only a hint to spare needless
    deferrals: the gate decides whether the time is lawful."""
    zone = primary_zone(borrower_tz=borrower_tz, region=region) or "UTC"
    day = max(target, local_day(now, zone))
    best = hours.best_hour(day) if hours is not None else None
    if best is None and day > target:
        return now
    return max(now, local_wall_time(day, dt.time(LOCAL_SEND_HOUR if best is None else best), zone))


def _step_windows(steps: list[StrategyStep]) -> list[tuple[StrategyStep, int | None]]:
    """Each step with the first day it is no longer live (exclusive; None: open-ended). A step with a
    window (`until_days`) is live from its own day through the window's last day, so a case that enters
    late in the range still gets it; without one, until the next later step's day, so a case that joins
    late (or a planner that missed a day) gets the current step, not stale ones."""
    offsets = sorted({s.offset_days for s in steps})
    windows: list[tuple[StrategyStep, int | None]] = []
    for step in steps:
        if step.until_days is not None:
            windows.append((step, max(step.until_days, step.offset_days) + 1))
            continue
        later = [o for o in offsets if o > step.offset_days]
        windows.append((step, later[0] if later else None))
    return windows


def _plan_jobs(cases: models.QuerySet[Case], *, now: dt.datetime, today: dt.date, result: PlanResult) -> None:
    """The reminders of active repayment plans: each plan strategy step, counted from the due date of
    every unpaid installment of the plan (not the loan's), for the plan's own (case, step, due date).

    A step is live from its own day until the next step's day; the last (T0) only on its day, so a
    planner that runs late never sends "due today" about a date already past (unless its window says so)."""

    for strategy, plan_cases in cases_by_strategy(cases, kind=StrategyKind.PLAN, today=today):
        for step, next_offset in _step_windows(list(strategy.steps.all())):
            until = next_offset if next_offset is not None else step.offset_days + 1
            rows = list(
                plan_installments_due_between(
                    today - dt.timedelta(days=until - 1), today - dt.timedelta(days=step.offset_days)
                )
                .filter(plan__case__in=plan_cases, paid_amount__lt=F("amount"))
                .exclude(
                    Exists(
                        ReminderJob.objects.filter(
                            case_id=OuterRef("plan__case_id"), step=step, due_date=OuterRef("due_date")
                        )
                    )
                )
                .order_by()
                .values_list(
                    "plan__case_id",
                    "due_date",
                    "plan__case__borrower__timezone",
                    "plan__case__borrower__region",
                    "plan__case__borrower_id",
                )
                .distinct()
            )
            result.plan_jobs_created += _write_jobs(step, rows, now=now, result=result)


def reminders_plan(*, case_ids: list[int] | None = None, today: dt.date | None = None) -> PlanResult:
    """Write the ReminderJob rows of every open case whose strategy steps fall due by `today`; for a case
    with an active repayment plan, the plan's own T-1 and T0 reminders instead."""
    now = timezone.now()
    today = today or timezone.localdate()
    result = PlanResult()
    cases = Case.objects.open()
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    frozen = frozen_q(now, today)
    result.cases_frozen = cases.filter(frozen).count()
    _plan_jobs(
        cases.filter(active_plan_q()).exclude(_held_q(now) | promise_in_force_q()), now=now, today=today, result=result
    )
    cases = cases.exclude(frozen).annotate(oldest_due=oldest_unpaid_due_date()).filter(oldest_due__isnull=False)
    # Champion/challenger: each case's steps are its arm's (outreach.experiments); the jobs of every arm are
    # decided by the same compliance gate when sent.
    groups = [
        (steps, arm_cases)
        for strategy, governed in cases_by_strategy(cases, today=today)
        for _arm, steps, arm_cases in cases_by_arm(strategy, governed, list(strategy.steps.all()), now=now)
    ]
    for steps, strategy_cases in groups:
        for step, next_offset in _step_windows(steps):
            in_window = strategy_cases.filter(oldest_due__lte=today - dt.timedelta(days=step.offset_days))
            if next_offset is not None:
                in_window = in_window.filter(oldest_due__gt=today - dt.timedelta(days=next_offset))
            rows = list(
                in_window.exclude(_conditions_q(step, now))
                .exclude(
                    Exists(
                        ReminderJob.objects.filter(case_id=OuterRef("pk"), step=step, due_date=OuterRef("oldest_due"))
                    )
                )
                .values_list("id", "oldest_due", "borrower__timezone", "borrower__region", "borrower_id")
            )
            _write_jobs(step, rows, now=now, result=result)
    return result


def _write_jobs(step: StrategyStep, rows: list[tuple], *, now: dt.datetime, result: PlanResult) -> int:
    """One pending job per (case id, due date, borrower zone, region, borrower id) row for `step`, at the
    borrower's best hour of the step's day; returns the count."""
    if not rows:
        return 0
    hours = contact_hours_for({row[4] for row in rows}, now=now)
    jobs = [
        ReminderJob(
            case_id=case_id,
            step=step,
            due_date=due,
            status=JobStatus.PENDING,
            scheduled_for=scheduled_time(
                target=due + dt.timedelta(days=step.offset_days),
                now=now,
                borrower_tz=tz or "",
                region=region,
                hours=hours.get(borrower_id),
            ),
        )
        for case_id, due, tz, region, borrower_id in rows
    ]
    # ignore_conflicts: a concurrent planner may have written the same key meanwhile.
    ReminderJob.objects.bulk_create(jobs, batch_size=2000, ignore_conflicts=True)
    result.created_by_step[step.pk] = len(jobs)
    result.jobs_created += len(jobs)
    return len(jobs)
