"""Champion/challenger on the dashboard: each arm of an experiment compared on the dashboard's own KPI
definitions (supervision.selectors), over the arm's cases only, with 95% confidence intervals.

- cure rate and roll rate: `cure_rate` and `roll_counts` over the arm's cases, the months of the
  experiment; Wilson score intervals;
- amount recovered per contact, per currency (never added across currencies): the payments that
  `recovered_payments` counts, and the outbound contact attempts, on the arm's cases after each case's
  assignment; the ratio estimator's interval with the linearised (delta-method) standard error, the
  cases as clusters;
- complaints and opt-outs: the share of the arm's cases whose borrower opted out (any channel; an
  e-mail complaint records one) or asked to cease or disputed the debt after the case's assignment;
  Wilson interval.

docs/kpis.md states each definition; tests/supervision/test_experiments.py checks them against a
hand-computed example.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Platform, Team
from borrowers.models import Hold, HoldKind, OptOut
from cases.models import ZERO, Case
from contacts.models import ContactAttempt
from outreach.models import ArmAssignment, Experiment, StrategyArm

from .selectors import (
    NEXT_STAGE,
    Period,
    Scope,
    _add_months,
    _midnight,
    _month_start,
    cure_rate,
    dashboard_scope,
    recovered_payments,
    roll_counts,
)

# Two-sided 95%.
Z95 = 1.959964
CENT = Decimal("0.01")
COMPLAINT_HOLDS = (HoldKind.CEASE, HoldKind.DISPUTE)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (as fractions), None without observations. Unlike the
    normal (Wald) interval it stays inside [0, 1] and is usable at small counts and rates near 0 or 1."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def ratio_interval(
    pairs: list[tuple[Decimal, int]], z: float = Z95
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """Amount per contact over cases given as (amount, contacts) pairs: the estimate Σa ÷ Σc and its
    interval R ± z·SE with SE² = n/(n−1) · Σ(aᵢ − R·cᵢ)² ÷ (Σc)² (the ratio estimator's linearised
    variance, each case a cluster of contacts), the lower end floored at 0. None without contacts; no
    interval with fewer than two cases."""
    amount = sum((a for a, _c in pairs), ZERO)
    contacts = sum(c for _a, c in pairs)
    if contacts == 0:
        return None, None, None
    ratio = amount / contacts
    n = len(pairs)
    if n < 2:
        return ratio.quantize(CENT, ROUND_HALF_UP), None, None
    residuals = sum(float(a - ratio * c) ** 2 for a, c in pairs)
    se = math.sqrt(n / (n - 1) * residuals) / contacts
    low = max(Decimal(0), ratio - Decimal(str(z * se)))
    high = ratio + Decimal(str(z * se))
    return ratio.quantize(CENT, ROUND_HALF_UP), low.quantize(CENT, ROUND_HALF_UP), high.quantize(CENT, ROUND_HALF_UP)


@dataclass
class Proportion:
    """A count of successes out of `n`, as a percentage with its Wilson interval (one decimal)."""

    successes: int
    n: int

    @property
    def rate(self) -> float | None:
        return round(self.successes * 100 / self.n, 1) if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        found = wilson(self.successes, self.n)
        return (round(found[0] * 100, 1), round(found[1] * 100, 1)) if found else None


@dataclass
class PerContact:
    currency: str
    recovered: Decimal
    contacts: int
    cases: int
    per_contact: Decimal | None
    low: Decimal | None
    high: Decimal | None


@dataclass
class ArmFigures:
    arm: StrategyArm
    cases: int
    cure: Proportion
    roll: Proportion
    per_contact: list[PerContact] = field(default_factory=list)
    complaints: Proportion = field(default_factory=lambda: Proportion(0, 0))


@dataclass
class Comparison:
    experiment: Experiment
    period: Period
    # The roll measured: from the experiment's stage to the next ("" when it has none: every stage forward).
    roll_from: str
    roll_to: str
    arms: list[ArmFigures]


def experiment_period(experiment: Experiment, today: dt.date) -> Period:
    """The calendar months (UTC) from the experiment's start to its close, or to `today` while open."""
    last = experiment.closed_at.astimezone(dt.UTC).date() if experiment.closed_at else today
    month, months = _month_start(experiment.started_at.astimezone(dt.UTC).date()), []
    while month <= _month_start(last):
        months.append(month)
        month = _add_months(month, 1)
    return Period(months or [_month_start(today)])


def _assigned_at(experiment: Experiment, case_field: str) -> Subquery:
    return Subquery(
        ArmAssignment.objects.filter(case_id=OuterRef(case_field), experiment=experiment).values("assigned_at")[:1]
    )


def _roll(arm_scope: Scope, period: Period, stage: str) -> Proportion:
    """Case-months: in `stage` (or any stage with a next one) at a month's start, in the next stage at the
    next month's start; summed over the months (docs/kpis.md, Roll rates)."""
    rolled = base = 0
    stages = [stage] if stage else list(NEXT_STAGE)
    for month in period.months:
        counts = roll_counts(arm_scope, month)
        for s in stages:
            if s not in NEXT_STAGE:
                continue
            base += sum(n for (s_from, _to), n in counts.items() if s_from == s)
            rolled += counts.get((s, NEXT_STAGE[s]), 0)
    return Proportion(rolled, base)


def _per_contact(experiment: Experiment, cases: QuerySet[Case], arm_scope: Scope, period: Period) -> list[PerContact]:
    currency_of = dict(cases.values_list("pk", "loan__currency"))
    amounts: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for case_id, amount, currency in (
        recovered_payments(arm_scope, period)
        .annotate(assigned=_assigned_at(experiment, "case_id"))
        .filter(paid_at__gte=F("assigned"))
        .values_list("case_id", "amount", "currency")
    ):
        if currency == currency_of.get(case_id):  # a payment in another currency than its loan's is not this loan's
            amounts[case_id] += amount
    contacts = dict(
        ContactAttempt.objects.filter(case__in=cases, direction="outbound", at__gte=period.start, at__lt=period.end)
        .annotate(assigned=_assigned_at(experiment, "case_id"))
        .filter(at__gte=F("assigned"))
        .order_by()
        .values_list("case_id")
        .annotate(n=Count("id"))
    )
    rows = []
    for currency in sorted(set(currency_of.values())):
        pairs = [(amounts[pk], contacts.get(pk, 0)) for pk, c in currency_of.items() if c == currency]
        estimate, low, high = ratio_interval(pairs)
        rows.append(
            PerContact(
                currency=currency,
                recovered=sum((a for a, _c in pairs), ZERO),
                contacts=sum(c for _a, c in pairs),
                cases=len(pairs),
                per_contact=estimate,
                low=low,
                high=high,
            )
        )
    return rows


def _complaints(experiment: Experiment, cases: QuerySet[Case], period: Period) -> Proportion:
    assigned = _assigned_at(experiment, "pk")
    cases = cases.annotate(assigned=assigned)
    opted_out = OptOut.objects.filter(
        borrower_id=OuterRef("borrower_id"), created_at__gte=OuterRef("assigned"), created_at__lt=period.end
    )
    complained = Hold.objects.filter(
        borrower_id=OuterRef("borrower_id"),
        kind__in=COMPLAINT_HOLDS,
        created_at__gte=OuterRef("assigned"),
        created_at__lt=period.end,
    )
    # Filtered, not aggregated: an aggregate's filter cannot reach the `assigned` annotation from a subquery.
    return Proportion(cases.filter(Q(Exists(opted_out)) | Q(Exists(complained))).count(), cases.count())


def arm_figures(experiment: Experiment, arm: StrategyArm, scope: Scope, period: Period, now: dt.datetime) -> ArmFigures:
    """One arm's figures over its cases within `scope` (the dashboard's: the viewer's cases, filters)."""
    cases = scope.cases.filter(arm_assignments__arm=arm)
    arm_scope = Scope(cases=cases, everything=False)
    cure = cure_rate(arm_scope, period, now=now)
    return ArmFigures(
        arm=arm,
        cases=cases.count(),
        cure=Proportion(cure["cured"], cure["cohort"]),
        roll=_roll(arm_scope, period, experiment.stage),
        per_contact=_per_contact(experiment, cases, arm_scope, period),
        complaints=_complaints(experiment, cases, period),
    )


def comparisons(
    *,
    user: Any,
    platform: Platform | None = None,
    team: Team | None = None,
    since: dt.datetime | None = None,
    today: dt.date | None = None,
) -> list[Comparison]:
    """The experiments the viewer's cases are in, open ones and those closed since `since`, each arm's
    figures side by side (champion first)."""
    scope = dashboard_scope(user=user, platform=platform, team=team)
    now = _midnight(today + dt.timedelta(days=1)) if today else timezone.now()
    today = today or timezone.now().date()
    experiments = Experiment.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since or now))
    if not scope.everything:
        experiments = experiments.filter(
            Exists(ArmAssignment.objects.filter(experiment=OuterRef("pk"), case__in=scope.cases))
        )
    found = []
    for experiment in experiments.select_related("strategy", "promoted_arm", "closed_by").order_by("-started_at"):
        period = experiment_period(experiment, today)
        arms = list(experiment.arms.order_by("-champion", "id"))
        found.append(
            Comparison(
                experiment=experiment,
                period=period,
                roll_from=experiment.stage,
                roll_to=NEXT_STAGE.get(experiment.stage, "") if experiment.stage else "",
                arms=[arm_figures(experiment, arm, scope, period, now) for arm in arms],
            )
        )
    return found
