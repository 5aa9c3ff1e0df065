import datetime as dt

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from contacts.models import ContactAttempt
from outreach.assignment import cases_assign
from outreach.escalation import borrowers_flag_lost_contact, cases_escalate_unanswered, escalation_run
from outreach.models import Alert, CollectorProfile, JobStatus, ReminderJob, Task
from repayment_plans.models import Promise
from tests import factories

from .conftest import due_job, make_case, step

pytestmark = pytest.mark.django_db


def _sent(case, strategy_step, *, hours_ago: int) -> ReminderJob:
    return due_job(
        case, strategy_step, status=JobStatus.SENT, finished_at=timezone.now() - dt.timedelta(hours=hours_ago)
    )


def test_n_unanswered_reminders_put_a_call_task_in_the_collectors_queue(strategy, collector, settings):
    settings.REMINDER_ESCALATE_AFTER = 3
    case = make_case(due_in_days=-2, assigned_to=collector)
    for offset, hours in ((-3, 100), (-1, 50), (0, 30)):
        _sent(case, step(strategy, offset), hours_ago=hours)
    two_only = make_case(due_in_days=-2, assigned_to=collector)
    _sent(two_only, step(strategy, -1), hours_ago=50)
    _sent(two_only, step(strategy, 0), hours_ago=30)

    assert cases_escalate_unanswered() == [case.pk]
    task = Task.objects.get(case=case)
    assert task.assigned_to == collector and task.kind == "call" and "3 automated reminders" in task.reason
    case.refresh_from_db()
    assert case.next_action_at is not None
    # Running again does not create a second open task.
    assert cases_escalate_unanswered() == []
    assert Task.objects.filter(case=case).count() == 1


def test_an_answer_resets_the_count(strategy, collector):
    case = make_case(due_in_days=-2, assigned_to=collector)
    for offset, hours in ((-3, 100), (-1, 50), (0, 30)):
        _sent(case, step(strategy, offset), hours_ago=hours)
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        channel="call",
        direction="inbound",
        outcome="connected",
        at=timezone.now() - dt.timedelta(hours=40),
        actor_kind="platform",
    )
    # Only the reminder 30 hours ago is unanswered.
    assert cases_escalate_unanswered(threshold=2) == []


def test_an_escalated_unassigned_case_is_assigned_first(strategy, collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=5)
    case = make_case(due_in_days=-2)
    for offset, hours in ((-3, 100), (-1, 50), (0, 30)):
        _sent(case, step(strategy, offset), hours_ago=hours)
    assert cases_escalate_unanswered(threshold=3) == [case.pk]
    assert Task.objects.get(case=case).assigned_to == collector


def test_repeated_refusals_flag_the_borrower_lost_contact_and_alert_the_supervisor(supervisor, collector):
    case = make_case(due_in_days=-10, assigned_to=collector)
    for hours in (5, 30):
        ContactAttempt.objects.create(
            platform=case.platform,
            borrower=case.borrower,
            channel="call",
            outcome="refused",
            at=timezone.now() - dt.timedelta(hours=hours),
            actor_kind="user",
        )
    once = make_case(due_in_days=-10)
    ContactAttempt.objects.create(
        platform=once.platform,
        borrower=once.borrower,
        channel="call",
        outcome="refused",
        at=timezone.now(),
        actor_kind="user",
    )
    assert borrowers_flag_lost_contact() == [case.borrower_id]
    case.borrower.refresh_from_db()
    assert case.borrower.lost_contact is True
    alert = Alert.objects.get()
    assert alert.supervisor == supervisor and alert.case == case and alert.data == {"reason": "refusals"}
    assert borrowers_flag_lost_contact() == []  # already flagged; one open alert


def test_every_phone_invalid_flags_lost_contact():
    case = make_case(due_in_days=-10, phone=False)
    factories.PhoneFactory(borrower=case.borrower, invalid=True)
    factories.PhoneFactory(borrower=case.borrower, invalid=True)
    reachable = make_case(due_in_days=-10)
    factories.PhoneFactory(borrower=reachable.borrower, invalid=True)
    assert borrowers_flag_lost_contact() == [case.borrower_id]


def test_a_broken_promise_puts_the_case_back_on_its_strategy(strategy):
    case = make_case(due_in_days=-2)
    Promise.objects.create(
        case=case,
        amount=100,
        due_date=timezone.localdate() - dt.timedelta(days=1),
        status="broken",
        resolved_at=timezone.now(),
    )
    result = escalation_run()
    assert result.restaged == [case.pk]
    assert sorted(ReminderJob.objects.filter(case=case).values_list("step__offset_days", "step__channel")) == [
        (1, "call"),
        (1, "sms"),
    ]


# --- assignment ----------------------------------------------------------------------------------


def test_assignment_balances_workload_within_daily_capacity(collector, other_collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=1)
    CollectorProfile.objects.create(user=other_collector, daily_capacity=2)
    already = make_case(due_in_days=-5, assigned_to=other_collector)
    new = [make_case(due_in_days=-5, priority=p) for p in (30, 20, 10, 5)]
    result = cases_assign()
    assert result.assigned == {new[0].pk: collector.pk, new[1].pk: other_collector.pk, new[2].pk: other_collector.pk}
    assert result.unassigned == [new[3].pk]
    assert already.pk not in result.assigned
    event = CaseEvent.objects.get(case=new[0], kind="assigned")
    assert event.new_value == collector.username and event.data["user_id"] == collector.pk
    # Capacity is per day: a second run today assigns nothing more.
    assert cases_assign().assigned == {}


def test_vulnerable_borrowers_go_to_the_specialist_queue(collector, other_collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=10)
    CollectorProfile.objects.create(user=other_collector, daily_capacity=10, specialist=True)
    elderly = factories.BorrowerFactory(date_of_birth=dt.date(1950, 1, 1))
    vulnerable = make_case(due_in_days=-5, borrower=elderly)
    plain = make_case(due_in_days=-5)
    assert cases_assign().assigned == {vulnerable.pk: other_collector.pk, plain.pk: collector.pk}


def test_no_specialist_leaves_a_vulnerable_case_unassigned(collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=10)
    borrower = factories.BorrowerFactory(vulnerabilities=["unemployed"])
    case = make_case(due_in_days=-5, borrower=borrower)
    assert cases_assign().unassigned == [case.pk]


def test_pre_due_cases_are_left_to_the_reminders(collector):
    CollectorProfile.objects.create(user=collector, daily_capacity=10)
    make_case(due_in_days=2)
    assert cases_assign().assigned == {}
