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
        champion = StrategyArm.objects.create(
            experiment=experiment, name="Champion: SMS and robot call", share=50, champion=True
        )
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
        arms = [champion, challenger]
        governed = next((cases for s, cases in cases_by_strategy(Case.objects.all()) if s.pk == strategy.pk), None)
        if governed is None:
            return
        rows = (
            governed.annotate(entered=_entered_delinquency())
            .filter(Q(entered__gte=started) | Q(status=CaseStatus.OPEN, stage=Stage.M1))
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
    log(f"Champion/challenger: {EXPERIMENT_NAME!r}, {len(assignments)} cases assigned to its two arms")
