"""The risk scorecard of open cases: a transparent sum of points (every point is explained in docs and
on the case page), and the segment that picks the strategy's steps.

It runs inside every delinquency refresh, as the answer to `cases.signals.open_cases_refreshed`: the
score reads promises and conversations, which live above cases.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, models
from django.db.models import Case as When_
from django.db.models import Count, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.utils import timezone

from cases.delinquency import SEGMENT_HIGH_FROM, SEGMENT_MEDIUM_FROM
from cases.models import Case, Loan, RiskSegment
from cases.signals import open_cases_refreshed
from contacts.models import CONVERSATION_OUTCOMES, ContactAttempt
from repayment_plans.models import Promise, PromiseStatus


@receiver(open_cases_refreshed, dispatch_uid="outreach_rescore")
def _rescore(sender: type[Case], open_cases: models.QuerySet[Case], today: dt.date, **kwargs: Any) -> None:
    open_cases_rescore(open_cases, today)


def open_cases_rescore(open_cases: models.QuerySet, today: dt.date) -> None:
    """A transparent scorecard; every point is explained in docs and on the case page."""
    broken = (
        Promise.objects.filter(case__loan_id=OuterRef("loan_id"), status=PromiseStatus.BROKEN)
        .order_by()
        .values("case__loan_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    since = timezone.now() - dt.timedelta(days=14)
    talked = ContactAttempt.objects.filter(
        borrower_id=OuterRef("borrower_id"), outcome__in=CONVERSATION_OUTCOMES, at__gte=since
    )
    paid_recently = Loan.objects.filter(
        pk=OuterRef("loan_id"), payments__paid_at__gte=timezone.now() - dt.timedelta(days=30)
    )
    score = (
        When_(
            When(dpd__lte=7, then=Value(0)),
            When(dpd__lte=30, then=Value(10)),
            When(dpd__lte=60, then=Value(25)),
            When(dpd__lte=90, then=Value(40)),
            default=Value(55),
        )
        + When_(
            When(overdue_amount__lt=1000, then=Value(0)),
            When(overdue_amount__lt=5000, then=Value(10)),
            When(overdue_amount__lt=20000, then=Value(20)),
            default=Value(30),
        )
        + Coalesce(Subquery(broken, output_field=models.IntegerField()), Value(0)) * Value(15)
        + When_(When(models.Exists(talked), then=Value(0)), default=Value(10))
        - When_(When(models.Exists(paid_recently), then=Value(15)), default=Value(0))
    )
    # Compute once per case, then write only the cases whose score or segment moved.
    if connection.vendor == "postgresql":
        # The score is computed once per case (a materialized CTE: inlined, PostgreSQL would plan and
        # run the subqueries once for the score and again for each comparison), the segment from it.
        sql, params = open_cases.annotate(new_score=score).values("id", "new_score").query.sql_with_params()
        segment_sql = (
            f"CASE WHEN s.new_score < {SEGMENT_MEDIUM_FROM} THEN '{RiskSegment.LOW.value}'"
            f" WHEN s.new_score < {SEGMENT_HIGH_FROM} THEN '{RiskSegment.MEDIUM.value}'"
            f" ELSE '{RiskSegment.HIGH.value}' END"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH s AS MATERIALIZED ({sql})
                UPDATE cases_case c SET risk_score = s.new_score, priority = s.new_score, risk_segment = {segment_sql}
                FROM s
                WHERE c.id = s.id
                  AND (c.risk_score, c.priority, c.risk_segment) IS DISTINCT FROM (s.new_score, s.new_score, {segment_sql})
                """,  # noqa: S608 - the inner SQL is Django's own, parameters stay parameters
                params,
            )
        return
    segment = When_(
        When(new_score__lt=SEGMENT_MEDIUM_FROM, then=Value(RiskSegment.LOW.value)),
        When(new_score__lt=SEGMENT_HIGH_FROM, then=Value(RiskSegment.MEDIUM.value)),
        default=Value(RiskSegment.HIGH.value),
        output_field=models.CharField(),
    )
    scored = open_cases.annotate(new_score=score).annotate(new_segment=segment)
    changed = scored.exclude(risk_score=F("new_score"), risk_segment=F("new_segment"), priority=F("new_score"))
    rows = list(changed.values_list("id", "new_score", "new_segment").iterator(chunk_size=5000))
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        Case.objects.bulk_update(
            [Case(id=cid, risk_score=sc, priority=sc, risk_segment=seg) for cid, sc, seg in chunk],
            ["risk_score", "priority", "risk_segment"],
            batch_size=1000,
        )
