"""A supervisor sets up a challenger for the M1 stage on the supervision page (issue 18, done when): the
form's shares add up to 100, the challenger arm gets a copy of another strategy's steps, the scheduler
plans both arms and the gate decides each send; stopping keeps the champion."""

from __future__ import annotations

import pytest
import time_machine

from outreach.default_strategies import seed_segment_strategies
from outreach.experiments import bucket_for
from outreach.models import ArmAssignment, Experiment, JobStatus, ReminderJob, Strategy, StrategyStep
from outreach.planning import reminders_plan
from outreach.services import reminder_send

from .conftest import TODAY, make_case, shanghai

pytestmark = pytest.mark.django_db

URL = "/supervision/experiments/"


def _high_risk() -> Strategy:
    """The seeded high-risk strategy ("a collector from day 1"), the challenger's steps."""
    seed_segment_strategies()
    return Strategy.objects.get(risk_segment="high", vulnerable=False, platform__isnull=True)


def _form(strategy: Strategy, challenger: Strategy, **changes) -> dict:
    data = {
        "name": "M1: a collector from day 1",
        "strategy": strategy.pk,
        "challenger_from": challenger.pk,
        "stage": "m1",
        "champion_share": 50,
        "challenger_share": 50,
        "starts_on": TODAY.isoformat(),
    }
    return {**data, **changes}


def test_the_page_refuses_shares_not_adding_up_to_100_and_the_same_strategy_twice(client, supervisor, strategy):
    client.force_login(supervisor)
    assert client.get(URL).status_code == 200

    uneven = client.post(URL, _form(strategy, _high_risk(), challenger_share=40))
    assert uneven.status_code == 200
    assert "The traffic shares must add up to 100." in uneven.content.decode()
    same = client.post(URL, _form(strategy, strategy))
    assert "The challenger must be another strategy than the champion." in same.content.decode()
    assert not Experiment.objects.exists()


def test_a_supervisor_sets_up_an_m1_challenger_and_the_scheduler_runs_both_arms_under_the_gate(
    client, supervisor, strategy
):
    high = _high_risk()
    client.force_login(supervisor)
    response = client.post(URL, _form(strategy, high, champion_share=60, challenger_share=40))
    assert response.status_code == 302 and response.url == URL

    experiment = Experiment.objects.get()
    assert (experiment.strategy, experiment.stage, experiment.started_by) == (strategy, "m1", supervisor)
    champion, challenger = experiment.arms.order_by("-champion")
    assert (champion.share, champion.champion, challenger.share) == (60, True, 40)
    # The challenger sends a copy of the high-risk strategy's steps, as steps of this strategy's arm.
    copied = list(challenger.steps.values_list("offset_days", "until_days", "channel", "template_code"))
    original = list(
        high.steps.filter(arm__isnull=True, active=True).values_list(
            "offset_days", "until_days", "channel", "template_code"
        )
    )
    key = lambda row: (row[0], row[1] if row[1] is not None else row[0], row[2])  # noqa: E731
    assert sorted(copied, key=key) == sorted(original, key=key)
    assert set(challenger.steps.values_list("strategy_id", flat=True)) == {strategy.pk}

    # The planner assigns the M1 cases by the stable hash and plans each from its arm.
    cases = [make_case(due_in_days=-1, risk_segment="medium") for _ in range(16)]  # the default strategy's
    reminders_plan(today=TODAY)
    arms = dict(ArmAssignment.objects.values_list("case_id", "arm_id"))
    for case in cases:
        expected = champion.pk if bucket_for(experiment.pk, case.pk) < 60 else challenger.pk
        assert arms[case.pk] == expected
        planned = set(ReminderJob.objects.filter(case=case).values_list("step__channel", "step__arm_id"))
        if expected == challenger.pk:
            # The high-risk way: a collector's task from day 1, no robot call on day 1.
            assert planned == {("task", challenger.pk), ("sms", challenger.pk)}
        else:
            assert planned == {("sms", None), ("call", None)}
    assert set(arms.values()) == {champion.pk, challenger.pk}

    # Every send of either arm is the gate's decision: an SMS at 23:30 in Shanghai is deferred, not sent.
    night = shanghai(23, 30)
    for arm in (champion, challenger):
        job = ReminderJob.objects.filter(step__channel="sms", case__arm_assignments__arm=arm).first()
        ReminderJob.objects.filter(pk=job.pk).update(status=JobStatus.CLAIMED, claimed_at=night)
        with time_machine.travel(night, tick=False):
            assert reminder_send(job_id=job.pk, now=night).status == "deferred"
        job.refresh_from_db()
        assert job.decision is not None and not job.decision.allowed
        assert "quiet_hours" in {r["code"] for r in job.decision.reasons}

    # The page lists it running, with its arms and the challenger's steps.
    listed = client.get(URL).content.decode()
    assert f'data-experiment="{experiment.pk}"' in listed and f'data-arm="{challenger.pk}"' in listed


def test_stopping_keeps_the_champion_and_retires_the_challengers_steps(client, supervisor, strategy):
    client.force_login(supervisor)
    client.post(URL, _form(strategy, _high_risk()))
    experiment = Experiment.objects.get()
    own = set(
        StrategyStep.objects.filter(strategy=strategy, arm__isnull=True, active=True).values_list("pk", flat=True)
    )

    response = client.post(f"/supervision/experiments/{experiment.pk}/stop/")
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.closed_by == supervisor and experiment.promoted_arm.champion
    assert not StrategyStep.objects.filter(arm__experiment=experiment, active=True).exists()
    assert (
        set(StrategyStep.objects.filter(strategy=strategy, arm__isnull=True, active=True).values_list("pk", flat=True))
        == own
    )

    # The strategy is free for the next experiment.
    again = client.post(URL, _form(strategy, _high_risk(), name="M1 again"))
    assert again.status_code == 302 and Experiment.objects.filter(closed_at__isnull=True).count() == 1


def test_a_collector_may_not_set_up_an_experiment(client, collector, strategy):
    client.force_login(collector)
    assert client.post(URL, _form(strategy, _high_risk())).status_code == 403
    assert not Experiment.objects.exists()


def test_the_page_names_seeded_strategies_in_the_readers_language(client, supervisor, strategy):
    high = _high_risk()
    supervisor.language = "zh-hans"
    supervisor.save()
    client.force_login(supervisor)
    html = client.get(URL).content.decode()
    # The choices and the label of the experiment's name field, in Chinese (not the stored English names).
    assert high.name not in html and high.label in html
    assert "实验名称" in html
