"""The demo's champion/challenger experiment: the default strategy's M1 stage against a challenger that puts a
collector on the case from day 3 (no robot call), started four months ago, so the dashboard compares the
two arms on first run.

The book's cases that entered M1 since then (and those in M1 now) are assigned as the planner would have
assigned them (outreach.experiments: the same hash, the same shares), each at the time it entered M1;
from then on the planner assigns new M1 cases itself. Written once: a second run finds the experiment (open,
or closed by a promotion) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.db.models import DateTimeField, OuterRef, Q, Subquery
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseStatus, Stage
from outreach.default_strategies import DEMO_STRATEGY_NAME, seed_strategies
from outreach.experiments import arm_for_bucket, bucket_for
from outreach.models import ArmAssignment, Experiment, Strategy, StrategyArm, StrategyStep
from outreach.planning import cases_by_strategy

EXPERIMENT_NAME = "M1: a collector from day 3"
STARTED_DAYS_AGO = 120

# The challenger's M1 steps: the overdue SMS on day 1, a collector's call task from day 3 when the borrower
# has not answered, the SMS again on day 10; no robot call.
CHALLENGER_STEPS = [
    (1, "sms", "overdue-sms", {"no_payment_since_days": 1}, None),
    (3, "task", "", {"no_response": True, "response_window_days": 3}, 7),
    (10, "sms", "overdue-sms", {"no_payment_since_days": 3, "no_response": True}, None),
]


def _entered_delinquency() -> Subquery:
    """When a case first went past due: its first opened or stage-changed event into a stage past due."""
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=[CaseEvent.Kind.OPENED, CaseEvent.Kind.STAGE_CHANGED])
        .exclude(new_value__in=[Stage.PRE_DUE, ""])
        .order_by("at", "id")
        .values("at")[:1],
        output_field=DateTimeField(),
    )


def seed_experiment(*, today: dt.date | None = None, log: Callable[[str], None] = lambda _msg: None) -> None:
    today = today or timezone.localdate()
    strategy = Strategy.objects.filter(name=DEMO_STRATEGY_NAME).first() or seed_strategies()
    if Experiment.objects.filter(strategy=strategy, name=EXPERIMENT_NAME).exists():
        return
    started = dt.datetime.combine(today - dt.timedelta(days=STARTED_DAYS_AGO), dt.time.min, tzinfo=dt.UTC)
    with transaction.atomic():
        experiment = Experiment.objects.create(
            strategy=strategy, name=EXPERIMENT_NAME, stage=Stage.M1, started_at=started
        )
        StrategyArm.objects.create(experiment=experiment, name="Champion: SMS and robot call", share=50, champion=True)
        challenger = StrategyArm.objects.create(
            experiment=experiment, name="Challenger: collector from day 3", share=50
        )
        for offset, channel, template, conditions, until in CHALLENGER_STEPS:
            step = StrategyStep(
                strategy=strategy,
                arm=challenger,
                offset_days=offset,
                until_days=until,
                channel=channel,
                template_code=template,
                conditions=conditions,
            )
            step.full_clean()
            step.save()
        assigned = _assign(experiment, strategy)
    log(f"Champion/challenger: {EXPERIMENT_NAME!r}, {assigned} cases assigned to its two arms")


def _assign(experiment: Experiment, strategy: Strategy) -> int:
    """Assign the book's cases that entered M1 since the start (and those in M1 now), as the planner
    would have, each at the time it entered. A closed case keeps no segment of its time (the refresh
    scores open cases only), so a closed case counts as the strategy's when its other conditions match
    (platform, product, not vulnerable). Idempotent: a case already assigned keeps its arm."""
    started = experiment.started_at
    arms = list(experiment.arms.order_by("-champion", "id"))
    governed = next((cases for s, cases in cases_by_strategy(Case.objects.all()) if s.pk == strategy.pk), None)
    if governed is None:
        return 0
    closed = Case.objects.filter(status=CaseStatus.CLOSED)
    if strategy.platform_id:
        closed = closed.filter(platform_id=strategy.platform_id)
    if strategy.product:
        closed = closed.filter(loan__product=strategy.product)
    candidates = Case.objects.filter(Q(pk__in=governed.values("pk")) | Q(pk__in=closed.values("pk")))
    rows = (
        candidates.annotate(entered=_entered_delinquency())
        .filter(Q(entered__gte=started) | Q(status=CaseStatus.OPEN, stage=Stage.M1))
        .exclude(arm_assignments__experiment=experiment)
        .values_list("pk", "entered")
    )
    assignments = []
    for case_id, entered in rows:
        bucket = bucket_for(experiment.pk, case_id)
        assignments.append(
            ArmAssignment(
                case_id=case_id,
                experiment=experiment,
                arm=arm_for_bucket(bucket, arms),
                bucket=bucket,
                assigned_at=max(entered or started, started),
            )
        )
    ArmAssignment.objects.bulk_create(assignments, batch_size=2000, ignore_conflicts=True)
    return len(assignments)


def assign_history(*, log: Callable[[str], None] = lambda _msg: None) -> int:
    """After the demo's history is written: its cases that went late and were cured since the experiment
    started, assigned to the arms as the planner would have at the time, so that the comparison's cure
    rates have their cured cases. Nothing when the experiment was closed (promoted) or is missing."""
    experiment = (
        Experiment.objects.filter(name=EXPERIMENT_NAME, closed_at__isnull=True).select_related("strategy").first()
    )
    if experiment is None:
        return 0
    assigned = _assign(experiment, experiment.strategy)
    if assigned:
        log(f"Champion/challenger: {assigned} cases of the history assigned to the arms")
    return assigned
