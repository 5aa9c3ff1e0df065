"""Each figure: measure the real thing and, in the same run, a baseline that bounds it from below."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.db import connection
from django.utils import timezone

from .portfolio import PortfolioInfo
from .result import Figure


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# The baseline's remaining amount: an installment's principal, interest and fee less what was paid and
# waived, plus its late fee and penalty interest less theirs (cases.charges) -- the same sum the refresh
# computes the loans' outstanding and DPD with, so that the baseline does the same work: an installment
# whose only debt left is a late fee is still behind.
_BASELINE_DPD = """
    SELECT i.loan_id, %(today)s::date - MIN(i.due_date)
    FROM cases_installment i
    WHERE i.due_date < %(today)s
      AND i.principal_due + i.interest_due + i.fee_due - i.principal_paid - i.interest_paid - i.fee_paid
          - i.waived{charges} > 0
    GROUP BY i.loan_id
"""


def baseline_dpd(today: dt.date) -> dict[int, int]:
    """Each loan behind on `today` and its DPD before pauses, by one SELECT (PostgreSQL)."""
    from cases.delinquency import PG_CHARGES

    with connection.cursor() as cursor:
        cursor.execute(_BASELINE_DPD.format(charges=PG_CHARGES), {"today": today})
        return dict(cursor.fetchall())


def delinquency_refresh(info: PortfolioInfo) -> list[Figure]:
    from cases.delinquency import refresh_delinquency
    from cases.models import Case

    if not Case.objects.exists():
        refresh_delinquency()  # the first run opens the cases; the daily run is the steady state
    seconds = _timed(refresh_delinquency)
    today = timezone.localdate()

    def bare_dpd() -> None:
        baseline_dpd(today)

    return [
        Figure(
            "delinquency refresh",
            seconds,
            "s",
            _timed(bare_dpd),
            budget=max(1.0, 60 * info.loans / 1_000_000),
            note="baseline: one SELECT computing the same DPD; budget scaled linearly below 1M loans",
        )
    ]


def _gate(info: PortfolioInfo) -> list[Figure]:
    from . import gate

    return gate.measure(info)


def _pages(info: PortfolioInfo) -> list[Figure]:
    from . import pages

    return pages.measure(info)


def _api(info: PortfolioInfo) -> list[Figure]:
    from . import api

    return api.measure(info)


def _dispatch(info: PortfolioInfo) -> list[Figure]:
    from . import dispatch

    return dispatch.measure(info)


ALL: dict[str, Callable[[PortfolioInfo], list[Figure]]] = {
    "refresh": delinquency_refresh,
    "gate": _gate,
    "pages": _pages,
    "dispatch": _dispatch,
    "api": _api,
}
