"""Champion/challenger (issue 18, item 2): arms with traffic shares, a deterministic assignment that stays,
each case planned from its arm's steps, every arm's jobs decided by the same gate, promotion."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.exceptions import ValidationError

from outreach.experiments import arm_for_bucket, bucket_for, experiment_promote, validate_shares
from outreach.models import ArmAssignment, Experiment, JobStatus, ReminderJob, StrategyArm, StrategyStep
from outreach.planning import reminders_plan
from outreach.services import reminder_send

from .conftest import TODAY, make_case, outbox_lines, shanghai

pytestmark = pytest.mark.django_db


def _experiment(strategy, *, shares=(50, 50), stage="m1") -> tuple[Experiment, StrategyArm, StrategyArm]:
    """An M1 experiment: the champion (the strategy's own steps) and a challenger whose first overdue day
    is a robot call only (no SMS)."""
    experiment = Experiment.objects.create(strategy=strategy, name="M1 robot first", stage=stage)
    champion = StrategyArm.objects.create(experiment=experiment, name="Champion", share=shares[0], champion=True)
    challenger = StrategyArm.objects.create(experiment=experiment, name="Robot first", share=shares[1])
    StrategyStep.objects.create(
        strategy=strategy, arm=challenger, offset_days=1, channel="call", template_code="robot-call", conditions={}
    )
    return experiment, champion, challenger


def _planned(case) -> list[tuple[int, str, int | None]]:
    return sorted(
        ReminderJob.objects.filter(case=case).values_list("step__offset_days", "step__channel", "step__arm_id")
    )


def test_the_bucket_is_a_stable_hash_of_experiment_and_case():
    # Fixed values: the same on every machine and run (not Python's per-process salted hash()).
    assert [bucket_for(1, case_id) for case_id in (1, 2, 3)] == [bucket_for(1, 1), bucket_for(1, 2), bucket_for(1, 3)]
    assert bucket_for(1, 1) == 35 and bucket_for(1, 2) == 51 and bucket_for(2, 1) == 96
    assert all(0 <= bucket_for(7, case_id) < 100 for case_id in range(1000))


@pytest.mark.parametrize("shares", [(50, 50), (70, 30), (50, 25, 25), (90, 5, 5)])
def test_ten_thousand_cases_split_in_proportion_to_the_shares(shares):
    arms = [StrategyArm(pk=i + 1, name=f"arm {i}", share=share, champion=i == 0) for i, share in enumerate(shares)]
    counts = Counter(arm_for_bucket(bucket_for(42, case_id), arms).name for case_id in range(1, 10_001))
    for i, share in enumerate(shares):
        # Within 1.5 percentage points of the share (the binomial standard error at n=10,000 is ≤ 0.5 pp).
        assert abs(counts[f"arm {i}"] / 10_000 * 100 - share) <= 1.5, counts


def test_shares_must_add_up_to_100_with_one_champion():
    assert validate_shares([50, 50], champions=1) == []
    assert validate_shares([60, 50], champions=1) == ["The traffic shares must add up to 100 (they add up to 110)."]
    assert validate_shares([100], champions=1)[0].startswith("An experiment needs the champion")
    assert validate_shares([50, 50], champions=0) == ["Exactly one arm is the champion."]


def test_cases_are_assigned_once_in_the_stage_and_stay_when_the_shares_change(strategy):
    experiment, champion, challenger = _experiment(strategy)
    m1 = [make_case(due_in_days=-1) for _ in range(30)]
    pre_due = make_case(due_in_days=2)
    reminders_plan(today=TODAY)
    assigned = dict(ArmAssignment.objects.values_list("case_id", "arm_id"))
    assert set(assigned) == {case.pk for case in m1}  # the pre-due case is not in the M1 experiment
    for case_id, arm_id in assigned.items():
        bucket = bucket_for(experiment.pk, case_id)
        assert arm_id == (champion.pk if bucket < 50 else challenger.pk)
    assert {champion.pk, challenger.pk} == set(assigned.values())

    # The supervisor moves the shares to 90/10: cases already assigned stay; a new one follows the new shares.
    StrategyArm.objects.filter(pk=champion.pk).update(share=90)
    StrategyArm.objects.filter(pk=challenger.pk).update(share=10)
    newcomer = make_case(due_in_days=-1)
    reminders_plan(today=TODAY)
    after = dict(ArmAssignment.objects.values_list("case_id", "arm_id"))
    assert {k: v for k, v in after.items() if k != newcomer.pk} == assigned
    expected = champion.pk if bucket_for(experiment.pk, newcomer.pk) < 90 else challenger.pk
    assert after[newcomer.pk] == expected
    assert ArmAssignment.objects.get(case=newcomer).assigned_at is not None
    assert pre_due.arm_assignments.count() == 0


def test_the_scheduler_plans_each_case_from_its_arm(strategy):
    experiment, champion, challenger = _experiment(strategy)
    cases = [make_case(due_in_days=-1) for _ in range(12)]
    pre_due = make_case(due_in_days=0)
    reminders_plan(today=TODAY)
    arms = dict(ArmAssignment.objects.values_list("case_id", "arm_id"))
    for case in cases:
        if arms[case.pk] == challenger.pk:
            assert _planned(case) == [(1, "call", challenger.pk)]  # the arm's own step only
        else:
            assert _planned(case) == [(1, "call", None), (1, "sms", None)]  # the strategy's own steps
    assert _planned(pre_due) == [(0, "sms", None)]  # outside the experiment's stage: the strategy's steps


def test_an_arm_calling_at_night_is_blocked_by_the_gate_with_the_decision_recorded(strategy, outbox):
    # Everyone in the challenger arm, and the planner runs at 23:30 in Shanghai: the arm's robot call is
    # due at once (the planner's time is only a hint); the gate defers it to 08:00 and records why.
    experiment, champion, challenger = _experiment(strategy, shares=(1, 99))
    StrategyArm.objects.filter(pk=champion.pk).update(share=0)  # all traffic to the challenger
    case = make_case(due_in_days=-1)
    night = shanghai(23, 30)
    with time_machine.travel(night, tick=False):
        reminders_plan(today=TODAY)
        job = ReminderJob.objects.get(case=case)
        assert job.step.arm_id == challenger.pk and job.step.channel == "call"
        assert job.scheduled_for == night
        ReminderJob.objects.filter(pk=job.pk).update(status=JobStatus.CLAIMED, claimed_at=night)
        outcome = reminder_send(job_id=job.pk, now=night)
    assert outcome.status == "deferred"
    job.refresh_from_db()
    assert job.status == JobStatus.DEFERRED and "quiet_hours" in job.skip_reason
    assert job.decision is not None and job.decision.allowed is False
    assert "quiet_hours" in {r["code"] for r in job.decision.reasons}
    assert job.decision.actor_kind == "scheduler"
    assert job.scheduled_for == shanghai(8, day=TODAY + dt.timedelta(days=1))
    assert outbox_lines(outbox, "call") == [] and job.contact is None


def test_promoting_the_challenger_makes_its_steps_the_strategys_and_closes_the_experiment(strategy, supervisor):
    experiment, champion, challenger = _experiment(strategy)
    cases = [make_case(due_in_days=-1) for _ in range(12)]
    reminders_plan(today=TODAY)
    champion_steps = set(StrategyStep.objects.filter(strategy=strategy, arm__isnull=True).values_list("pk", flat=True))
    arm_step = StrategyStep.objects.get(arm=challenger)

    closed = experiment_promote(arm=challenger, by=supervisor, now=shanghai(12))
    assert closed.closed_at == shanghai(12) and closed.closed_by == supervisor and closed.promoted_arm == challenger
    own = StrategyStep.objects.filter(strategy=strategy, arm__isnull=True, active=True)
    assert list(own.values_list("pk", flat=True)) == [arm_step.pk]
    assert not StrategyStep.objects.filter(pk__in=champion_steps, active=True).exists()
    assert StrategyStep.objects.get(pk=arm_step.pk).history.count() == 2  # created, then moved

    # The next plan: the challenger's cases are not sent the promoted call again (the same step rows); the
    # former champion's cases are planned from the promoted steps now (the gate still decides each send).
    arms = dict(ArmAssignment.objects.values_list("case_id", "arm_id"))
    before = {case.pk: _planned(case) for case in cases}
    reminders_plan(today=TODAY)
    for case in cases:
        if arms[case.pk] == challenger.pk:
            assert _planned(case) == before[case.pk] == [(1, "call", None)]
        else:
            assert _planned(case) == sorted(before[case.pk] + [(1, "call", None)])
            assert ReminderJob.objects.filter(case=case, step=arm_step).count() == 1
    with pytest.raises(ValidationError):
        experiment_promote(arm=champion, by=supervisor)


def test_only_one_open_experiment_per_strategy(strategy):
    _experiment(strategy)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Experiment.objects.create(strategy=strategy, name="second")


def _admin_post(client, strategy, shares: list[tuple[str, int, bool]]):
    data = {
        "strategy": strategy.pk,
        "name": "M1 challenger",
        "stage": "m1",
        "started_at_0": "2026-01-14",
        "started_at_1": "09:00:00",
        "arms-TOTAL_FORMS": str(len(shares)),
        "arms-INITIAL_FORMS": "0",
        "arms-MIN_NUM_FORMS": "0",
        "arms-MAX_NUM_FORMS": "1000",
    }
    for i, (name, share, champion) in enumerate(shares):
        data.update({f"arms-{i}-name": name, f"arms-{i}-share": str(share)})
        if champion:
            data[f"arms-{i}-champion"] = "on"
    return client.post("/admin/outreach/experiment/add/", data)


def test_the_admin_sets_up_a_challenger_only_with_shares_adding_up_to_100(strategy, client, admin_user):
    client.force_login(admin_user)
    refused = _admin_post(client, strategy, [("Champion", 60, True), ("Robot first", 50, False)])
    assert refused.status_code == 200
    assert "The traffic shares must add up to 100 (they add up to 110)." in refused.content.decode()
    assert not Experiment.objects.exists()
    assert (
        "Exactly one arm is the champion."
        in _admin_post(client, strategy, [("A", 50, False), ("B", 50, False)]).content.decode()
    )

    created = _admin_post(client, strategy, [("Champion", 70, True), ("Robot first", 30, False)])
    assert created.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.started_by == admin_user and experiment.stage == "m1"
    assert list(experiment.arms.values_list("name", "share", "champion")) == [
        ("Champion", 70, True),
        ("Robot first", 30, False),
    ]
    # The challenger's own steps, on the arm's page: they belong to the experiment's strategy.
    arm = experiment.arms.get(champion=False)
    response = client.post(
        f"/admin/outreach/strategyarm/{arm.pk}/change/",
        {
            "name": arm.name,
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
            "steps-0-offset_days": "1",
            "steps-0-until_days": "7",
            "steps-0-channel": "call",
            "steps-0-template_code": "robot-call",
            "steps-0-conditions": "{}",
            "steps-0-active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    step = StrategyStep.objects.get(arm=arm)
    assert (step.strategy, step.offset_days, step.until_days, step.channel) == (strategy, 1, 7, "call")


def test_an_experiment_set_to_start_later_assigns_nobody_until_then(strategy):
    experiment, champion, challenger = _experiment(strategy)
    Experiment.objects.filter(pk=experiment.pk).update(started_at=shanghai(12, day=TODAY + dt.timedelta(days=1)))
    case = make_case(due_in_days=-1)
    reminders_plan(today=TODAY)
    assert not ArmAssignment.objects.exists()
    assert _planned(case) == [(1, "call", None), (1, "sms", None)]  # the strategy's own steps meanwhile
