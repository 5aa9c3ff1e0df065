"""Champion/challenger: a strategy's cases split over the arms of its open experiment.

A case's arm is decided once, by a stable hash of the experiment and the case (never `random()`), and
stored (ArmAssignment) with the time, so that a later change of the shares moves no case already
assigned: only cases assigned afterwards follow the new shares. The planner (outreach.planning) writes
each case's reminder jobs from its arm's steps; every job, whatever its arm, is then decided by the same
compliance gate in outreach.services, so no arm can send what the law forbids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Stage

from .models import ArmAssignment, Experiment, Strategy, StrategyArm, StrategyStep

BUCKETS = 100

_Cases = TypeVar("_Cases", bound=models.QuerySet[Any, Any])


def bucket_for(experiment_id: int, case_id: int) -> int:
    """The case's bucket (0–99) in an experiment: the first eight bytes of SHA-256 of both ids. The
    same on every machine and every run (Python's hash() is salted per process); a new experiment
    draws anew."""
    digest = hashlib.sha256(f"experiment:{experiment_id}:case:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def arm_for_bucket(bucket: int, arms: Sequence[StrategyArm]) -> StrategyArm:
    """The arm whose slice of the buckets holds `bucket`, the arms in their stored order (champion
    first), each slice its share of the total (shares are validated to sum to 100; the scaling only
    keeps an experiment edited outside the admin proportional rather than broken)."""
    total = sum(arm.share for arm in arms)
    upto = 0
    for arm in arms:
        upto += arm.share
        if bucket * total < upto * BUCKETS:
            return arm
    return arms[-1]


def validate_shares(shares: Sequence[int], champions: int) -> list[str]:
    """What is wrong with an experiment's arms (empty when nothing): the admin's form and the start
    of an experiment ask the same question."""
    errors = []
    if len(shares) < 2:
        errors.append(_("An experiment needs the champion and at least one challenger."))
    if champions != 1:
        errors.append(_("Exactly one arm is the champion."))
    if sum(shares) != 100:
        errors.append(_("The traffic shares must add up to 100 (they add up to %(total)s).") % {"total": sum(shares)})
    return errors


def open_experiment(strategy: Strategy, now: dt.datetime | None = None) -> Experiment | None:
    """The strategy's experiment running at `now`: open, and started (one set to start later waits)."""
    return (
        Experiment.objects.filter(strategy=strategy, closed_at__isnull=True, started_at__lte=now or timezone.now())
        .prefetch_related(
            models.Prefetch("arms", queryset=StrategyArm.objects.order_by("-champion", "id")),
            models.Prefetch(
                "arms__steps", queryset=StrategyStep.objects.filter(active=True).order_by("offset_days", "id")
            ),
        )
        .first()
    )


def _in_scope(experiment: Experiment) -> Q:
    return Q(stage=experiment.stage) if experiment.stage else Q()


def arms_assign(experiment: Experiment, cases: models.QuerySet[Any, Any], *, now: dt.datetime | None = None) -> int:
    """Assign the experiment's cases among `cases` that have no arm yet (those in its stage); returns how
    many. Idempotent and safe beside a concurrent planner: the unique (case, experiment) keeps the first."""
    arms = list(experiment.arms.all())
    if not arms:
        return 0
    now = now or timezone.now()
    new = (
        cases.filter(_in_scope(experiment))
        .exclude(Exists(ArmAssignment.objects.filter(case_id=OuterRef("pk"), experiment=experiment)))
        .order_by()
        .values_list("pk", flat=True)
    )
    rows = []
    for case_id in new:
        bucket = bucket_for(experiment.pk, case_id)
        arm = arm_for_bucket(bucket, arms)
        rows.append(ArmAssignment(case_id=case_id, experiment=experiment, arm=arm, bucket=bucket, assigned_at=now))
    ArmAssignment.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def cases_by_arm(
    strategy: Strategy, cases: _Cases, champion_steps: list[StrategyStep], *, now: dt.datetime | None = None
) -> list[tuple[StrategyArm | None, list[StrategyStep], _Cases]]:
    """The strategy's `cases` in groups, each with the steps that govern it: the cases of each challenger
    arm (assigned now if new) with that arm's steps, and all others (the champion's arm, cases outside the
    experiment's stage, any case when no experiment is open) with the strategy's own steps."""
    experiment = open_experiment(strategy, now)
    if experiment is None:
        return [(None, champion_steps, cases)]
    arms_assign(experiment, cases, now=now)
    scope = _in_scope(experiment)
    groups: list[tuple[StrategyArm | None, list[StrategyStep], _Cases]] = []
    challenger_cases = Q(pk__in=[])
    for arm in experiment.arms.all():
        if arm.champion:
            continue
        mine = scope & Q(Exists(ArmAssignment.objects.filter(case_id=OuterRef("pk"), arm=arm)))
        groups.append((arm, list(arm.steps.all()), cases.filter(mine)))
        challenger_cases |= mine
    champion = next((arm for arm in experiment.arms.all() if arm.champion), None)
    groups.insert(0, (champion, champion_steps, cases.exclude(challenger_cases)))
    return groups


@transaction.atomic
def experiment_promote(*, arm: StrategyArm, by: Any, now: dt.datetime | None = None) -> Experiment:
    """Make `arm` the strategy's way of working and close the experiment, recording who and when.

    A challenger's steps become the strategy's own (the same rows, so a case that had a step from the
    arm is never sent it again) and the champion's retire (inactive, kept: jobs refer to them); the
    other challengers' steps retire. Promoting the champion only retires the challengers' steps."""
    now = now or timezone.now()
    experiment = Experiment.objects.select_for_update().get(pk=arm.experiment_id)
    if experiment.closed_at is not None:
        raise ValidationError(_("This experiment is closed."))
    retired = StrategyStep.objects.filter(arm__experiment=experiment, active=True).exclude(arm=arm)
    if not arm.champion:
        retired = retired | StrategyStep.objects.filter(
            strategy_id=experiment.strategy_id, arm__isnull=True, active=True
        )
    # save() per row, not update(): each change lands in the steps' history.
    for step in retired:
        step.active = False
        step.save(update_fields=["active"])
    if not arm.champion:
        for step in StrategyStep.objects.filter(arm=arm):
            step.arm = None
            step.save(update_fields=["arm"])
    experiment.closed_at = now
    experiment.closed_by = by
    experiment.promoted_arm = arm
    experiment.save(update_fields=["closed_at", "closed_by", "promoted_arm"])
    return experiment


# The fields of a step that say what it does and when (copied from a strategy into a challenger arm).
STEP_FIELDS = ("offset_days", "until_days", "channel", "template_code", "conditions")


@transaction.atomic
def experiment_start(
    *,
    strategy: Strategy,
    challenger_from: Strategy,
    name: str,
    stage: str,
    champion_share: int,
    challenger_share: int,
    starts_at: dt.datetime,
    by: Any,
) -> Experiment:
    """Set up a challenger for `strategy` (the champion: its own steps) from the active steps of another
    strategy, `challenger_from`, copied into the challenger arm (the arm's own rows: editing or retiring
    that strategy later changes nothing in the experiment). Cases are assigned from `starts_at` by the
    planner, deterministically (above); every step of both arms goes through the gate when sent.

    Refused (ValidationError naming the field): shares not adding up to 100, a strategy that is not a
    delinquency one, the same strategy on both sides, a challenger without active steps of its own, or
    a strategy that already runs an experiment."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Name the experiment.")]
    share_errors = validate_shares([champion_share, challenger_share], champions=1)
    if share_errors:
        errors["challenger_share"] = share_errors
    if challenger_from.pk == strategy.pk:
        errors["challenger_from"] = [_("The challenger must be another strategy than the champion.")]
    steps = list(
        StrategyStep.objects.filter(strategy=challenger_from, arm__isnull=True, active=True).order_by(
            "offset_days", "id"
        )
    )
    if not steps and "challenger_from" not in errors:
        errors["challenger_from"] = [_("This strategy has no active steps to test.")]
    if stage and stage not in Stage.values:
        errors["stage"] = [_("Unknown stage.")]
    if errors:
        raise ValidationError(errors)
    # One open experiment per strategy, checked under the strategy's lock (the constraint is the backstop).
    Strategy.objects.select_for_update().filter(pk=strategy.pk).first()
    if Experiment.objects.filter(strategy=strategy, closed_at__isnull=True).exists():
        raise ValidationError({"strategy": [_("This strategy already runs an experiment: stop it first.")]})
    experiment = Experiment(strategy=strategy, name=name, stage=stage, started_at=starts_at, started_by=by)
    experiment.full_clean()
    experiment.save()
    StrategyArm.objects.create(
        experiment=experiment,
        name=(_("Champion: %(strategy)s") % {"strategy": strategy.name})[:100],
        share=champion_share,
        champion=True,
    )
    challenger = StrategyArm.objects.create(
        experiment=experiment,
        name=(_("Challenger: %(strategy)s") % {"strategy": challenger_from.name})[:100],
        share=challenger_share,
    )
    for step in steps:
        copy = StrategyStep(strategy=strategy, arm=challenger, **{f: getattr(step, f) for f in STEP_FIELDS})
        copy.full_clean()
        copy.save()
    return experiment


def experiment_stop(*, experiment: Experiment, by: Any, now: dt.datetime | None = None) -> Experiment:
    """Stop an experiment and keep the champion: the champion is promoted (experiment_promote), so the
    challengers' steps retire and the experiment closes with who and when -- one way to close."""
    champion = experiment.arms.filter(champion=True).first()
    if champion is None:
        raise ValidationError(_("This experiment has no champion."))
    return experiment_promote(arm=champion, by=by, now=now)
