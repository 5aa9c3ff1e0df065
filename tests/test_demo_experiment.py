"""The demo's champion/challenger experiment (issue 18, item 2): on first run the dashboard has two M1 arms to
compare, the cases assigned as the planner would assign them, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from demo.experiments import EXPERIMENT_NAME
from outreach.experiments import arm_for_bucket, bucket_for
from outreach.models import ArmAssignment, Experiment, ReminderJob
from supervision.experiments import comparisons

pytestmark = pytest.mark.django_db


def test_the_demo_sets_up_an_m1_challenger_that_the_dashboard_compares():
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    experiment = Experiment.objects.get(name=EXPERIMENT_NAME)
    assert experiment.stage == "m1" and experiment.closed_at is None
    champion, challenger = experiment.arms.order_by("-champion", "id")
    assert champion.champion and (champion.share, challenger.share) == (50, 50)
    assert challenger.steps.filter(active=True).count() == 3

    # Assigned as the planner assigns: the bucket of the experiment and the case, over the shares.
    assignments = list(ArmAssignment.objects.filter(experiment=experiment).select_related("arm"))
    by_arm = {champion.pk: 0, challenger.pk: 0}
    for a in assignments:
        assert a.bucket == bucket_for(experiment.pk, a.case_id)
        assert a.arm == arm_for_bucket(a.bucket, [champion, challenger])
        assert a.assigned_at >= experiment.started_at
        by_arm[a.arm_id] += 1
    assert min(by_arm.values()) >= 20
    # Today's plan already follows the arms: some of the challenger's own steps are planned.
    assert ReminderJob.objects.filter(step__arm=challenger).exists()

    supervisor = User.objects.get(username="supervisor")
    [compared] = [c for c in comparisons(user=supervisor) if c.experiment == experiment]
    assert [a.arm for a in compared.arms] == [champion, challenger]
    for arm in compared.arms:
        assert arm.cases > 0 and arm.roll.n > 0 and arm.roll.interval is not None
        assert arm.per_contact  # one row per currency of the arm's loans

    counts = (ArmAssignment.objects.count(), Experiment.objects.count(), challenger.steps.count())
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    assert (ArmAssignment.objects.count(), Experiment.objects.count(), challenger.steps.count()) == counts
