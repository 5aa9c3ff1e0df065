"""How long the delinquency refresh takes, as a Prometheus histogram (exposed at /metrics, config.metrics).

`scope` is `all` for the daily refresh of the whole book (in the worker) and `loans` for the refresh of a
few loans after a payment or an upload (in the web or the worker).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from prometheus_client import Histogram

P = ParamSpec("P")
R = TypeVar("R")

REFRESH_SECONDS = Histogram(
    "collections_delinquency_refresh_seconds",
    "Duration of the delinquency refresh (cases.delinquency.refresh_delinquency).",
    ["scope"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, float("inf")),
)


def observe_refresh(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        scope = "all" if kwargs.get("loan_ids") is None else "loans"
        with REFRESH_SECONDS.labels(scope=scope).time():
            return func(*args, **kwargs)

    return timed
