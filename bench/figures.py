"""Each figure: measure the real thing and, in the same run, a baseline that bounds it from below."""

from __future__ import annotations

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


def delinquency_refresh(info: PortfolioInfo) -> list[Figure]:
    from cases.delinquency import refresh_delinquency
    from cases.models import Case

    if not Case.objects.exists():
        refresh_delinquency()  # the first run opens the cases; the daily run is the steady state
    seconds = _timed(refresh_delinquency)
    today = timezone.localdate()

    def bare_dpd() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT loan_id, %s::date - MIN(due_date)
                FROM cases_installment
                WHERE due_date < %s
                  AND principal_due + interest_due + fee_due - principal_paid - interest_paid - fee_paid - waived > 0
                GROUP BY loan_id
                """,
                [today, today],
            )
            cursor.fetchall()

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
