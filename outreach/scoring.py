"""The risk scorecard of open cases: a transparent sum of points from six factors, each factor's points
stored on the case (`Case.risk_factors`, shown on the case page as "why this segment"), and the segment
that picks the strategy (outreach.planning).

The factors (docs/strategies.md):

- days past due: 0 up to DPD 7, 10 to 30, 25 to 60, 40 to 90, 55 beyond;
- overdue balance: 0 under 1,000, 10 under 5,000, 20 under 20,000, 30 from there (in the loan's currency);
- payment history: -15 when the loan was paid in the last 30 days, +10 when it was never paid at all;
- promise record: +15 for each broken promise on the loan, -5 for each kept one (at most -10);
- contact responsiveness: +10 without a conversation in the last 14 days;
- DPD trajectory: +10 for each earlier delinquency of the loan that was cured and fell behind again
  (closed cases of the same loan; at most +20).

It runs inside every delinquency refresh, as the answer to `cases.signals.open_cases_refreshed`: the
score reads promises and conversations, which live above cases. The bands are data (below); the SQL of
the PostgreSQL path and the Python of the other one are both made from them, and a test holds them equal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from cases.delinquency import SEGMENT_HIGH_FROM, SEGMENT_MEDIUM_FROM
from cases.models import Case, CaseStatus, Payment, RiskSegment
from cases.signals import open_cases_refreshed
from contacts.models import CONVERSATION_OUTCOMES, ContactAttempt
from repayment_plans.models import Promise, PromiseStatus

# (upper bound, points): the first bound the value is within; beyond the last, the default.
DPD_BANDS: list[tuple[int, int]] = [(7, 0), (30, 10), (60, 25), (90, 40)]  # value <= bound
DPD_BEYOND = 55
BALANCE_BANDS: list[tuple[int, int]] = [(1000, 0), (5000, 10), (20000, 20)]  # value < bound
BALANCE_BEYOND = 30
PAID_RECENTLY_DAYS = 30
PAID_RECENTLY_POINTS = -15
NEVER_PAID_POINTS = 10
BROKEN_PROMISE_POINTS = 15
KEPT_PROMISE_POINTS = -5
KEPT_PROMISES_COUNTED = 2
TALKED_WITHIN_DAYS = 14
NO_CONVERSATION_POINTS = 10
EARLIER_EPISODE_POINTS = 10
EARLIER_EPISODES_COUNTED = 2

# The factors in the order the case page lists them.
FACTORS = ("dpd", "balance", "payment_history", "promises", "contact", "trajectory")


@receiver(open_cases_refreshed, dispatch_uid="outreach_rescore")
def _rescore(sender: type[Case], open_cases: models.QuerySet[Case], today: dt.date, **kwargs: Any) -> None:
    open_cases_rescore(open_cases, today)


def _count(queryset: models.QuerySet, key: str) -> Coalesce:
    counted = queryset.order_by().values(key).annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def _inputs(open_cases: models.QuerySet, now: dt.datetime) -> models.QuerySet:
    """Each case's facts the factors read (one subquery each, evaluated once per case)."""
    promises = Promise.objects.filter(case__loan_id=OuterRef("loan_id"))
    talked = ContactAttempt.objects.filter(
        borrower_id=OuterRef("borrower_id"),
        outcome__in=CONVERSATION_OUTCOMES,
        at__gte=now - dt.timedelta(days=TALKED_WITHIN_DAYS),
    )
    payments = Payment.objects.filter(loan_id=OuterRef("loan_id"))
    earlier = Case.objects.filter(loan_id=OuterRef("loan_id"), status=CaseStatus.CLOSED)
    return open_cases.annotate(
        in_broken=_count(promises.filter(status=PromiseStatus.BROKEN), "case__loan_id"),
        in_kept=_count(promises.filter(status=PromiseStatus.KEPT), "case__loan_id"),
        in_talked=Exists(talked),
        in_paid_recently=Exists(payments.filter(paid_at__gte=now - dt.timedelta(days=PAID_RECENTLY_DAYS))),
        in_ever_paid=Exists(payments),
        in_episodes=_count(earlier, "loan_id"),
    ).values(
        "id",
        "dpd",
        "overdue_amount",
        "in_broken",
        "in_kept",
        "in_talked",
        "in_paid_recently",
        "in_ever_paid",
        "in_episodes",
    )


def factor_points(
    *,
    dpd: int,
    overdue_amount: Decimal,
    broken: int,
    kept: int,
    talked: bool,
    paid_recently: bool,
    ever_paid: bool,
    episodes: int,
) -> dict[str, dict[str, Any]]:
    """Each factor's points and the fact behind them, as stored in `Case.risk_factors`."""
    dpd_points = next((points for bound, points in DPD_BANDS if dpd <= bound), DPD_BEYOND)
    balance_points = next((points for bound, points in BALANCE_BANDS if overdue_amount < bound), BALANCE_BEYOND)
    payment = PAID_RECENTLY_POINTS if paid_recently else (0 if ever_paid else NEVER_PAID_POINTS)
    promises = broken * BROKEN_PROMISE_POINTS + min(kept, KEPT_PROMISES_COUNTED) * KEPT_PROMISE_POINTS
    return {
        "dpd": {"points": dpd_points, "dpd": dpd},
        "balance": {"points": balance_points},
        "payment_history": {"points": payment, "paid_recently": paid_recently, "ever_paid": ever_paid},
        "promises": {"points": promises, "broken": broken, "kept": kept},
        "contact": {"points": 0 if talked else NO_CONVERSATION_POINTS, "talked": talked},
        "trajectory": {
            "points": min(episodes, EARLIER_EPISODES_COUNTED) * EARLIER_EPISODE_POINTS,
            "earlier_episodes": episodes,
        },
    }


def segment_for(score: int) -> str:
    if score < SEGMENT_MEDIUM_FROM:
        return RiskSegment.LOW.value
    if score < SEGMENT_HIGH_FROM:
        return RiskSegment.MEDIUM.value
    return RiskSegment.HIGH.value


def _bands_sql(column: str, bands: list[tuple[int, int]], beyond: int, op: str) -> str:
    whens = " ".join(f"WHEN {column} {op} {int(bound)} THEN {int(points)}" for bound, points in bands)
    return f"(CASE {whens} ELSE {int(beyond)} END)"


def _postgresql_rescore(open_cases: models.QuerySet, now: dt.datetime) -> None:
    """One statement: the facts once per case (a materialized CTE: inlined, PostgreSQL would run the
    subqueries again for each use), the points, score, segment and factors from them, and an UPDATE of
    only the cases where any of them moved."""
    sql, params = _inputs(open_cases, now).query.sql_with_params()
    points = {
        "dpd": _bands_sql("s.dpd", DPD_BANDS, DPD_BEYOND, "<="),
        "balance": _bands_sql("s.overdue_amount", BALANCE_BANDS, BALANCE_BEYOND, "<"),
        "payment_history": f"(CASE WHEN s.in_paid_recently THEN {PAID_RECENTLY_POINTS}"
        f" WHEN s.in_ever_paid THEN 0 ELSE {NEVER_PAID_POINTS} END)",
        "promises": f"(s.in_broken * {BROKEN_PROMISE_POINTS}"
        f" + LEAST(s.in_kept, {KEPT_PROMISES_COUNTED}) * {KEPT_PROMISE_POINTS})",
        "contact": f"(CASE WHEN s.in_talked THEN 0 ELSE {NO_CONVERSATION_POINTS} END)",
        "trajectory": f"(LEAST(s.in_episodes, {EARLIER_EPISODES_COUNTED}) * {EARLIER_EPISODE_POINTS})",
    }
    facts = {
        "dpd": "'dpd', p.dpd",
        "balance": "",
        "payment_history": "'paid_recently', p.in_paid_recently, 'ever_paid', p.in_ever_paid",
        "promises": "'broken', p.in_broken, 'kept', p.in_kept",
        "contact": "'talked', p.in_talked",
        "trajectory": "'earlier_episodes', p.in_episodes",
    }
    point_columns = ", ".join(f"{expr} AS p_{name}" for name, expr in points.items())
    factors = ", ".join(
        f"'{name}', jsonb_build_object('points', p.p_{name}{', ' + facts[name] if facts[name] else ''})"
        for name in FACTORS
    )
    score = " + ".join(f"p.p_{name}" for name in FACTORS)
    segment = (
        f"CASE WHEN t.score < {SEGMENT_MEDIUM_FROM} THEN '{RiskSegment.LOW.value}'"
        f" WHEN t.score < {SEGMENT_HIGH_FROM} THEN '{RiskSegment.MEDIUM.value}'"
        f" ELSE '{RiskSegment.HIGH.value}' END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH s AS MATERIALIZED ({sql}),
            p AS (SELECT s.*, {point_columns} FROM s),
            t AS (SELECT p.id, ({score}) AS score, jsonb_build_object({factors}) AS factors FROM p)
            UPDATE cases_case c
               SET risk_score = t.score, priority = t.score, risk_segment = {segment}, risk_factors = t.factors
              FROM t
             WHERE c.id = t.id
               AND (c.risk_score, c.priority, c.risk_segment, c.risk_factors)
                   IS DISTINCT FROM (t.score, t.score, {segment}, t.factors)
            """,  # noqa: S608 - the inner SQL is Django's own, parameters stay parameters; the rest is constants
            params,
        )


def open_cases_rescore(open_cases: models.QuerySet, today: dt.date) -> None:
    """Score, segment and the factors behind them for every open case given; writes only what moved."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        _postgresql_rescore(open_cases, now)
        return
    current = {
        case_id: (score, segment, factors)
        for case_id, score, segment, factors in open_cases.values_list(
            "id", "risk_score", "risk_segment", "risk_factors"
        )
    }
    changed = []
    for row in _inputs(open_cases, now).iterator(chunk_size=5000):
        factors = factor_points(
            dpd=row["dpd"],
            overdue_amount=row["overdue_amount"],
            broken=row["in_broken"],
            kept=row["in_kept"],
            talked=bool(row["in_talked"]),
            paid_recently=bool(row["in_paid_recently"]),
            ever_paid=bool(row["in_ever_paid"]),
            episodes=row["in_episodes"],
        )
        score = sum(f["points"] for f in factors.values())
        segment = segment_for(score)
        if current.get(row["id"]) != (score, segment, factors):
            changed.append(
                Case(id=row["id"], risk_score=score, priority=score, risk_segment=segment, risk_factors=factors)
            )
    Case.objects.bulk_update(changed, ["risk_score", "priority", "risk_segment", "risk_factors"], batch_size=1000)
