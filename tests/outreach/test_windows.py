"""Issue 18 item 4: a strategy step applies over a window of days, so a case entering late in the window
still gets it, once; a collector without a profile takes the default workload."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.models import CaseEvent
from contacts.models import ContactAttempt
from outreach.assignment import cases_assign, collectors_without_profile
from outreach.models import CollectorProfile, JobStatus, ReminderJob, StrategyStep
from outreach.planning import reminders_plan
from outreach.services import reminder_send, reminders_dispatch
from tests import factories

from .conftest import TODAY, make_case, outbox_lines, shanghai

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(11, 30)  # after the frozen clock's start, inside CN's allowed calling hours


def _robot_calls(case) -> list[ReminderJob]:
    return list(ReminderJob.objects.filter(case=case, step__channel="call"))


def test_a_case_entering_at_dpd_5_gets_the_dpd_1_to_7_robot_call_once_through_the_gate(
    strategy, outbox, django_capture_on_commit_callbacks
):
    robot = strategy.steps.get(channel="call")
    assert (robot.offset_days, robot.until_days, robot.day_label) == (1, 7, "+1–+7")

    case = make_case(due_in_days=-5)
    for day in range(3):  # DPD 5, 6 and 7: the window's last days
        reminders_plan(today=TODAY + dt.timedelta(days=day))
    calls = _robot_calls(case)
    assert [(job.step_id, job.due_date) for job in calls] == [(robot.pk, TODAY - dt.timedelta(days=5))]

    queued: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch(now=DAYTIME, enqueue=queued.extend)
    assert calls[0].pk in queued
    assert reminder_send(job_id=calls[0].pk, now=DAYTIME).status == "sent"
    job = ReminderJob.objects.get(pk=calls[0].pk)
    assert job.status == JobStatus.SENT
    assert job.decision.allowed and job.decision.actor_kind == "scheduler"
    assert [line["key"] for line in outbox_lines(outbox, "call")] == [job.idempotency_key]
    assert ContactAttempt.objects.filter(case=case, channel="call").count() == 1

    # Planning again inside the window (and after it) never writes a second robot call.
    for day in range(4):
        reminders_plan(today=TODAY + dt.timedelta(days=day))
    assert len(_robot_calls(case)) == 1


def test_a_case_entering_after_the_window_does_not_get_the_robot_call(strategy):
    late = make_case(due_in_days=-8)
    reminders_plan(today=TODAY)
    assert _robot_calls(late) == []
    # … while a step without a window still lasts only until the next step's day.
    assert sorted(ReminderJob.objects.filter(case=late).values_list("step__offset_days", "step__channel")) == [
        (8, "task")
    ]


def test_a_window_that_ends_before_it_starts_is_refused(strategy):
    step = StrategyStep(strategy=strategy, offset_days=5, until_days=2, channel="task")
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "until_days" in error.value.message_dict


def test_the_admin_edits_a_steps_window(client, admin_user, strategy):
    client.force_login(admin_user)
    page = client.get(f"/admin/outreach/strategy/{strategy.pk}/change/")
    assert page.status_code == 200
    assert 'name="steps-0-until_days"' in page.content.decode()


def test_a_collector_without_a_profile_gets_the_default_workload(collector, other_collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=1)
    # other_collector has no profile: the default (30 a day, not a specialist), not silently nothing.
    assert collectors_without_profile() == [other_collector]
    cases = [make_case(due_in_days=-5, priority=p) for p in (30, 20, 10)]
    result = cases_assign()
    assert result.assigned == {
        cases[0].pk: collector.pk,
        cases[1].pk: other_collector.pk,
        cases[2].pk: other_collector.pk,
    }
    assert result.unassigned == []
    event = CaseEvent.objects.get(case=cases[1], kind="assigned")
    assert event.data == {"user_id": other_collector.pk, "specialist": False}
    # A vulnerable borrower still needs a specialist: the default profile is not one.
    vulnerable = make_case(due_in_days=-5, borrower=factories.BorrowerFactory(vulnerabilities=["illness"]))
    assert cases_assign().unassigned == [vulnerable.pk]


def test_the_default_capacity_holds_for_a_collector_without_a_profile(collector):
    default = CollectorProfile._meta.get_field("daily_capacity").get_default()
    for _ in range(default + 1):
        make_case(due_in_days=-5)
    result = cases_assign()
    assert len(result.assigned) == default and len(result.unassigned) == 1
    assert set(result.assigned.values()) == {collector.pk}


def test_the_admin_warns_about_collectors_without_a_profile(client, admin_user, collector, other_collector):
    CollectorProfile.objects.create(user=collector)
    client.force_login(admin_user)
    page = client.get("/admin/outreach/collectorprofile/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Collectors without a profile take the default workload" in text
    assert "collector2" in text
    CollectorProfile.objects.create(user=other_collector)
    assert "without a profile" not in client.get("/admin/outreach/collectorprofile/").content.decode()
