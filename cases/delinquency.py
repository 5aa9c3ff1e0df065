"""The delinquency refresh: loans' balances, DPD and stage, and the collection cases that follow.

Set-based on purpose: each step is one UPDATE or one INSERT over every loan in scope, so the daily
run over a million loans is a handful of statements, not a Python loop per loan. The same function
runs for one loan after a payment (`loan_ids=[id]`) and for the whole book from beat.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case as When_
from django.db.models import DecimalField, ExpressionWrapper, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest, Round
from django.utils import timezone

from .charges import charges_accrue
from .events import case_event_build, case_events_record, refresh_webhooks_emit
from .metrics import observe_refresh
from .models import (
    ZERO,
    Case,
    CaseEvent,
    CaseQuerySet,
    CaseStatus,
    Installment,
    Loan,
    RefreshRun,
    Stage,
    stage_for_dpd,
)
from .signals import open_cases_refreshed

log = logging.getLogger(__name__)

# A loan with an installment due within this many days gets a pre-due case (T-3 reminders).
PRE_DUE_WINDOW_DAYS = 3
# A full refresh that rewrites more loans than this refreshes the planner's statistics on them.
_ANALYZE_AFTER_LOANS = 10_000

MONEY = DecimalField(max_digits=14, decimal_places=2)

# Risk segments by score: below 25 low, below 50 medium, else high.
SEGMENT_MEDIUM_FROM = 25
SEGMENT_HIGH_FROM = 50


class DaysBetween(Func):
    """Whole days from `start` to `end` (end - start), on PostgreSQL and SQLite alike."""

    output_field = models.IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass
class RefreshResult:
    loans_updated: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    stage_changes: int = 0
    opened_case_ids: list[int] = field(default_factory=list)
    closed_case_ids: list[int] = field(default_factory=list)
    stage_changed_case_ids: list[int] = field(default_factory=list)


def _balanced_sum(fields: list[str]) -> Any:
    """a + b + c + ... as a balanced tree: Django parenthesises each pair, and a left-leaning chain of
    thirteen columns, nested in the refresh's subqueries, overflowed SQLite's parser stack."""
    if len(fields) == 1:
        return F(fields[0])
    middle = len(fields) // 2
    return _balanced_sum(fields[:middle]) + _balanced_sum(fields[middle:])


def remaining_expr() -> ExpressionWrapper:
    """What is left to pay on an installment: due - paid - waived, never negative.

    Rounded to the cent: SQLite does this arithmetic in floating point, and a paid installment must
    come out as exactly 0, not 1e-14 (which would count it as unpaid).
    """
    return ExpressionWrapper(
        Round(
            Greatest(
                _balanced_sum(["principal_due", "interest_due", "fee_due", "late_fee_due", "penalty_due"])
                - _balanced_sum(
                    [
                        "principal_paid",
                        "interest_paid",
                        "fee_paid",
                        "late_fee_paid",
                        "penalty_paid",
                        "waived",
                        "late_fee_waived",
                        "penalty_waived",
                    ]
                ),
                Value(0),
                output_field=MONEY,
            ),
            2,
        ),
        output_field=MONEY,
    )


def fresh_loan_figures(installments: list[dict], today: dt.date) -> tuple[dict, bool]:
    """A new loan's figures from its schedule (nothing paid or waived yet), exactly as the refresh
    computes them, and whether it needs a case (behind, or a payment due within the pre-due window).

    The bulk upload sets these at insert and refreshes only the loans that need a case: most uploaded
    loans have nothing due for weeks, and refreshing them was a fifth of an upload's time.
    """
    due = [(i["due_date"], i["principal_due"] + i["interest_due"] + i["fee_due"]) for i in installments]
    outstanding = sum((amount for _day, amount in due), ZERO)
    overdue_days = [day for day, amount in due if day < today and amount > 0]
    overdue = sum((amount for day, amount in due if day < today), ZERO)
    dpd = (today - min(overdue_days)).days if overdue_days else 0
    figures = {"outstanding": outstanding, "overdue_amount": overdue, "dpd": dpd, "stage": str(stage_for_dpd(dpd))}
    window_end = today + dt.timedelta(days=PRE_DUE_WINDOW_DAYS)
    upcoming = any(today <= day <= window_end and amount > 0 for day, amount in due)
    return figures, outstanding > 0 and (dpd > 0 or upcoming)


def unpaid_installments() -> models.QuerySet[Installment]:
    """Installments with something left to pay (the one definition the reminders use too)."""
    return Installment.objects.annotate(left=remaining_expr()).filter(left__gt=0)


def _sum_remaining(*, due_before: dt.date | None = None) -> Coalesce:
    installments = Installment.objects.filter(loan=OuterRef("pk"))
    if due_before is not None:
        installments = installments.filter(due_date__lt=due_before)
    total = (
        installments.order_by().values("loan").annotate(total=Round(models.Sum(remaining_expr()), 2)).values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _stage_expr(dpd_field: str = "dpd") -> When_:
    return When_(
        When(**{f"{dpd_field}__lte": 0}, then=Value(Stage.PRE_DUE.value)),
        When(**{f"{dpd_field}__lte": 30}, then=Value(Stage.M1.value)),
        When(**{f"{dpd_field}__lte": 60}, then=Value(Stage.M2.value)),
        When(**{f"{dpd_field}__lte": 90}, then=Value(Stage.M3.value)),
        default=Value(Stage.M3_PLUS.value),
        output_field=models.CharField(),
    )


_PG_UPDATE_LOANS = """
WITH agg AS (
    SELECT i.loan_id,
           ROUND(SUM(GREATEST(i.principal_due + i.interest_due + i.fee_due
                              - i.principal_paid - i.interest_paid - i.fee_paid - i.waived{charges}, 0)), 2) AS outstanding,
           ROUND(SUM(CASE WHEN i.due_date < %(today)s
                          THEN GREATEST(i.principal_due + i.interest_due + i.fee_due
                                        - i.principal_paid - i.interest_paid - i.fee_paid - i.waived{charges}, 0)
                          ELSE 0 END), 2) AS overdue,
           MIN(CASE WHEN i.due_date < %(today)s
                     AND i.principal_due + i.interest_due + i.fee_due - i.principal_paid
                         - i.interest_paid - i.fee_paid - i.waived{charges} > 0
                    THEN i.due_date END) AS oldest_due
    FROM cases_installment i
    {installment_filter}
    GROUP BY i.loan_id
), dated AS (
    -- DPD counts the days after the oldest unpaid due date up to today, less the paused ones (pauses of
    -- a loan never overlap). Only loans behind ask for their pauses: one index probe each.
    SELECT agg.loan_id, agg.outstanding, agg.overdue,
           CASE WHEN agg.oldest_due IS NULL THEN 0
                ELSE GREATEST(%(today)s::date - agg.oldest_due - COALESCE((
                    SELECT SUM(GREATEST(LEAST(COALESCE(p.ends_on, %(today)s::date), %(today)s::date)
                                        - GREATEST(p.starts_on, agg.oldest_due + 1) + 1, 0))
                    FROM cases_loanpause p WHERE p.loan_id = agg.loan_id AND p.starts_on <= %(today)s), 0), 0)
           END AS dpd
    FROM agg
), staged AS (
    SELECT dated.*, CASE WHEN dpd <= 0 THEN 'pre_due' WHEN dpd <= 30 THEN 'm1' WHEN dpd <= 60 THEN 'm2'
                         WHEN dpd <= 90 THEN 'm3' ELSE 'm3_plus' END AS stage
    FROM dated
)
UPDATE cases_loan l
SET outstanding = s.outstanding, overdue_amount = s.overdue, dpd = s.dpd, stage = s.stage
FROM staged s
WHERE l.id = s.loan_id
  AND (l.outstanding, l.overdue_amount, l.dpd, l.stage) IS DISTINCT FROM (s.outstanding, s.overdue, s.dpd, s.stage)
"""


# What an installment owes of its late fee and penalty interest (cases.charges), in the remaining amount
# (also the benchmark's baseline, bench.figures).
PG_CHARGES = (
    " + i.late_fee_due + i.penalty_due - i.late_fee_paid - i.penalty_paid - i.late_fee_waived - i.penalty_waived"
)


def _update_loans_postgresql(loan_ids: list[int] | None, today: dt.date) -> int:
    """One statement: aggregate the installments once (hash aggregate), write only the loans that changed."""
    installment_filter = "" if loan_ids is None else "WHERE i.loan_id = ANY(%(loan_ids)s)"
    with connection.cursor() as cursor:
        cursor.execute(
            _PG_UPDATE_LOANS.format(installment_filter=installment_filter, charges=PG_CHARGES),
            {"today": today, "loan_ids": loan_ids},
        )
        return cursor.rowcount


def _update_loans(loans: models.QuerySet, today: dt.date) -> int:
    """The portable form (SQLite): correlated subqueries, then the stage from the new DPD."""
    oldest_overdue = Subquery(
        unpaid_installments()
        .filter(loan=OuterRef("pk"), due_date__lt=today)
        .order_by("due_date")
        .values("due_date")[:1]
    )
    updated = loans.update(
        outstanding=_sum_remaining(),
        overdue_amount=_sum_remaining(due_before=today),
        dpd=Coalesce(DaysBetween(Value(today), oldest_overdue), Value(0)),
    )
    _subtract_paused_days(loans, today)
    # A second statement: the stage reads the DPD just written.
    loans.update(stage=_stage_expr())
    return updated


def paused_days(pauses: list[tuple[dt.date, dt.date | None]], oldest_due: dt.date, today: dt.date) -> int:
    """The days after `oldest_due` up to `today` that fall in a pause (each pause inclusive of both ends)."""
    days = 0
    for starts_on, ends_on in pauses:
        first = max(starts_on, oldest_due + dt.timedelta(days=1))
        last = min(ends_on or today, today)
        days += max((last - first).days + 1, 0)
    return days


def _subtract_paused_days(loans: models.QuerySet, today: dt.date) -> None:
    """The portable form of the pause arithmetic _PG_UPDATE_LOANS does in SQL: only the (few) loans
    behind with a pause, one by one (SQLite is the newcomer's small book)."""
    paused = loans.filter(dpd__gt=0, pauses__starts_on__lte=today).distinct()
    for loan in paused.prefetch_related("pauses"):
        oldest_due = today - dt.timedelta(days=loan.dpd)
        pauses = [(p.starts_on, p.ends_on) for p in loan.pauses.all()]
        dpd = max(loan.dpd - paused_days(pauses, oldest_due, today), 0)
        Loan.objects.filter(pk=loan.pk).update(dpd=dpd)


def _needs_a_case(today: dt.date, loan_ref: str = "pk") -> Q:
    """Behind on a payment, or a payment falls due within the pre-due window (T-3 reminders)."""
    upcoming = unpaid_installments().filter(
        loan=OuterRef(loan_ref),
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=PRE_DUE_WINDOW_DAYS),
    )
    prefix = "" if loan_ref == "pk" else "loan__"
    # An overdue amount with a DPD of 0 is a loan paused since before it fell behind: still a case.
    behind = Q(**{f"{prefix}dpd__gt": 0}) | Q(**{f"{prefix}overdue_amount__gt": 0})
    return Q(**{f"{prefix}outstanding__gt": 0}) & (behind | Q(models.Exists(upcoming)))


def _open_cases(
    loans: models.QuerySet, today: dt.date, now: dt.datetime, result: RefreshResult, *, few: bool = False
) -> None:
    has_open_case = Case.objects.filter(loan=OuterRef("pk"), status=CaseStatus.OPEN)
    candidates = (
        loans.filter(_needs_a_case(today))
        .filter(~models.Exists(has_open_case))
        .values_list("id", "platform_id", "borrower_id", "dpd", "stage", "overdue_amount")
    )
    new_cases = [
        Case(
            loan_id=loan_id,
            platform_id=platform_id,
            borrower_id=borrower_id,
            dpd=dpd,
            stage=stage,
            overdue_amount=overdue,
            next_action_at=now,
        )
        # A few loans (a payment): one plain query, no server-side cursor round trips.
        for loan_id, platform_id, borrower_id, dpd, stage, overdue in (
            candidates if few else candidates.iterator(chunk_size=5000)
        )
    ]
    if not new_cases:
        return
    Case.objects.bulk_create(new_cases, batch_size=2000)
    opened = list(
        Case.objects.filter(loan_id__in=[c.loan_id for c in new_cases], status=CaseStatus.OPEN).values_list(
            "id", "stage"
        )
    )
    case_events_record(
        case_event_build(case_id=cid, kind=CaseEvent.Kind.OPENED, new=stage, at=now) for cid, stage in opened
    )
    result.cases_opened = len(opened)
    result.opened_case_ids = [cid for cid, _ in opened]


def _restage_open_cases(open_cases: models.QuerySet, now: dt.datetime, result: RefreshResult) -> None:
    changed = list(open_cases.exclude(stage=F("loan__stage")).values_list("id", "stage", "loan__stage", "loan__dpd"))
    if changed:
        case_events_record(
            case_event_build(
                case_id=cid, kind=CaseEvent.Kind.STAGE_CHANGED, old=old, new=new, at=now, data={"dpd": dpd}
            )
            for cid, old, new, dpd in changed
        )
        result.stage_changes = len(changed)
        result.stage_changed_case_ids = [c[0] for c in changed]
    if connection.vendor == "postgresql":
        # A join, and only the rows that changed: most open cases keep yesterday's figures but their DPD.
        sql, params = open_cases.values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE cases_case c SET dpd = l.dpd, stage = l.stage, overdue_amount = l.overdue_amount
                FROM cases_loan l
                WHERE c.loan_id = l.id AND c.id IN ({sql})
                  AND (c.dpd, c.stage, c.overdue_amount) IS DISTINCT FROM (l.dpd, l.stage, l.overdue_amount)
                """,  # noqa: S608 - the inner SQL is Django's own, parameters stay parameters
                params,
            )
        return
    loan = Loan.objects.filter(pk=OuterRef("loan_id"))
    open_cases.update(
        dpd=Subquery(loan.values("dpd")[:1]),
        stage=Subquery(loan.values("stage")[:1]),
        overdue_amount=Subquery(loan.values("overdue_amount")[:1], output_field=MONEY),
    )


def _close_cured_cases(open_cases: models.QuerySet, today: dt.date, now: dt.datetime, result: RefreshResult) -> None:
    cured = open_cases.exclude(_needs_a_case(today, loan_ref="loan_id"))
    closing = list(cured.values_list("id", "stage", "loan__outstanding"))
    if not closing:
        return
    case_events_record(
        case_event_build(
            case_id=cid, kind=CaseEvent.Kind.CLOSED, old=stage, new="paid_off" if outstanding <= 0 else "cured", at=now
        )
        for cid, stage, outstanding in closing
    )
    ids = [c[0] for c in closing]
    Case.objects.filter(id__in=ids, loan__outstanding__lte=0).update(
        status=CaseStatus.CLOSED, closed_at=now, close_reason="paid_off"
    )
    Case.objects.filter(id__in=ids, status=CaseStatus.OPEN).update(
        status=CaseStatus.CLOSED, closed_at=now, close_reason="cured"
    )
    result.cases_closed = len(ids)
    result.closed_case_ids = ids


@observe_refresh
def refresh_delinquency(*, loan_ids: list[int] | None = None, today: dt.date | None = None) -> RefreshResult:
    """Recompute balances, DPD and stages; open, re-stage, rescore and close cases. Idempotent.

    A run over the whole book (no `loan_ids`) is recorded as a `RefreshRun`: in the refresh's own
    transaction when it succeeds, after its rollback (with the error's kind) when it fails."""
    today = today or timezone.localdate()
    now = timezone.now()
    started = time.monotonic()
    if loan_ids is not None:
        return _refresh(loan_ids=loan_ids, today=today, now=now, started=started)
    try:
        return _refresh(loan_ids=None, today=today, now=now, started=started)
    except Exception as exc:
        try:
            with transaction.atomic():
                RefreshRun.objects.create(
                    started_at=now, duration_ms=_elapsed_ms(started), succeeded=False, error=type(exc).__name__
                )
        except Exception:  # the database itself may be what failed; the refresh's own error is raised below
            log.warning("could not record the failed delinquency refresh", exc_info=True)
        raise


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _refresh(*, loan_ids: list[int] | None, today: dt.date, now: dt.datetime, started: float) -> RefreshResult:
    result = RefreshResult()
    loans = Loan.objects.all() if loan_ids is None else Loan.objects.filter(id__in=list(loan_ids))
    with transaction.atomic():
        # Late fees and penalty interest first: the balances below include them (cases.charges).
        charges_accrue(loan_ids=loan_ids, today=today)
        if connection.vendor == "postgresql":
            result.loans_updated = _update_loans_postgresql(loan_ids, today)
            if loan_ids is None and result.loans_updated > _ANALYZE_AFTER_LOANS:
                # The next statements pick their plans from the loans' figures just rewritten. With
                # statistics from before (autovacuum lagging, or off), "cases still to open" was
                # estimated at one loan and planned as a nested anti-join: 67 s instead of 0.5 s.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE cases_loan")
        else:
            result.loans_updated = _update_loans(loans, today)
        if loan_ids is None:
            _open_cases(loans, today, now, result)
            open_cases: CaseQuerySet | None = Case.objects.open().filter(loan__in=loans)
        else:
            # A few loans (a payment, an upload): the open cases with one indexed query first; only the
            # loans without one can need a case opened (most payments are on a loan with an open case),
            # and every case statement then goes by primary key, not by a subquery over the loans.
            with_case = dict(Case.objects.open().filter(loan_id__in=list(loan_ids)).values_list("loan_id", "id"))
            without = [i for i in loan_ids if i not in with_case]
            if without:
                _open_cases(Loan.objects.filter(id__in=without), today, now, result, few=True)
            case_ids = [*with_case.values(), *result.opened_case_ids]
            open_cases = Case.objects.open().filter(id__in=case_ids) if case_ids else None
        if open_cases is not None:
            _restage_open_cases(open_cases, now, result)
            _close_cured_cases(open_cases, today, now, result)
            # Scoring reads promises and conversations, which live in the apps above: they answer.
            open_cases_refreshed.send(sender=Case, open_cases=open_cases, today=today)
        # In the same transaction: the platform hears of a change exactly when it committed.
        refresh_webhooks_emit(result)
        if loan_ids is None:
            RefreshRun.objects.create(
                started_at=now,
                duration_ms=_elapsed_ms(started),
                succeeded=True,
                loans_updated=result.loans_updated,
                cases_opened=result.cases_opened,
                cases_closed=result.cases_closed,
                stage_changes=result.stage_changes,
            )
    return result
