"""Tasks and alerts as work (issue 15): closed and acknowledged with who and when, recorded on the task's
history and the case's timeline, reassigned within the team, and a done task lets escalation run again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Role
from cases.models import CaseEvent
from outreach.escalation import borrowers_flag_lost_contact, cases_escalate_unanswered
from outreach.models import Alert, JobStatus, Task, TaskKind, TaskStatus
from outreach.work import alert_acknowledge, task_cancel, task_complete
from supervision.services import task_reassign
from tests import factories

from .conftest import due_job, make_case, step

pytestmark = pytest.mark.django_db


def _sent(case, strategy_step, *, hours_ago: float):
    return due_job(
        case, strategy_step, status=JobStatus.SENT, finished_at=timezone.now() - dt.timedelta(hours=hours_ago)
    )


def _task(case, user, kind=TaskKind.CALL) -> Task:
    return Task.objects.create(case=case, assigned_to=user, kind=kind, due_at=timezone.now(), reason="3 unanswered")


def test_a_collector_marks_their_task_done_with_who_and_when_on_history_and_timeline(collector):
    case = make_case(due_in_days=-5, assigned_to=collector)
    task = _task(case, collector)

    done = task_complete(task=task, user=collector, note="called, will pay Friday")

    task.refresh_from_db()
    assert (task.status, task.closed_by, task.closed_at) == (TaskStatus.DONE, collector, done.closed_at)
    assert task.closed_at is not None
    latest = task.history.first()
    assert latest.status == "done" and latest.history_user == collector
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TASK_DONE)
    assert event.actor == collector and event.reason == "called, will pay Friday"
    assert event.data == {"task_id": task.pk}
    with pytest.raises(ValidationError):
        task_cancel(task=task, user=collector)  # closed once


def test_only_the_assignee_or_a_supervisor_closes_a_task(collector, other_collector, supervisor):
    case = make_case(due_in_days=-5, assigned_to=collector)
    task = _task(case, collector)
    with pytest.raises(PermissionDenied):
        task_complete(task=task, user=other_collector)
    task_cancel(task=task, user=supervisor, note="paid in full")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.closed_by == supervisor
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TASK_CANCELLED, actor=supervisor).exists()


def test_a_done_call_task_lets_escalation_run_again(strategy, collector, settings):
    settings.REMINDER_ESCALATE_AFTER = 2
    case = make_case(due_in_days=-2, assigned_to=collector)
    for offset, hours in ((-3, 100), (-1, 50)):
        _sent(case, step(strategy, offset), hours_ago=hours)
    assert cases_escalate_unanswered() == [case.pk]
    first = Task.objects.get(case=case)
    assert cases_escalate_unanswered() == []  # one open task per case

    task_complete(task=first, user=collector)
    # The reminders counted before the task was done do not escalate again...
    assert cases_escalate_unanswered() == []
    # ...two more sent after it, unanswered, do.
    _sent(case, step(strategy, 0), hours_ago=-0.5)
    _sent(case, step(strategy, 1), hours_ago=-1)
    later = timezone.now() + dt.timedelta(hours=2)
    assert cases_escalate_unanswered(now=later) == [case.pk]
    assert Task.objects.filter(case=case, status=TaskStatus.OPEN).count() == 1
    assert Task.objects.filter(case=case).count() == 2


def test_a_supervisor_reassigns_a_task_to_a_team_collector_and_the_case_goes_with_it(
    collector, other_collector, supervisor
):
    case = make_case(due_in_days=-5, assigned_to=collector)
    task = _task(case, collector)

    task_reassign(task=task, to_user=other_collector, user=supervisor, reason="collector on leave")

    task.refresh_from_db()
    case.refresh_from_db()
    assert task.assigned_to == other_collector and case.assigned_to == other_collector
    assert task.history.first().history_user == supervisor
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TASK_REASSIGNED)
    assert (event.old_value, event.new_value, event.actor) == ("collector", "collector2", supervisor)
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ASSIGNED, new_value="collector2").exists()


def test_reassignment_stays_within_the_rules(collector, other_collector, supervisor):
    case = make_case(due_in_days=-5, assigned_to=collector)
    task = _task(case, collector)
    west = factories.UserFactory(role=Role.COLLECTOR, team=factories.TeamFactory(name="West"))
    with pytest.raises(ValidationError):
        task_reassign(task=task, to_user=west, user=supervisor)  # another team's collector
    with pytest.raises(PermissionDenied):
        task_reassign(task=task, to_user=other_collector, user=collector)  # collectors do not reassign
    placement = _task(make_case(due_in_days=-90, assigned_to=collector), supervisor, kind=TaskKind.PLACEMENT)
    with pytest.raises(ValidationError):
        task_reassign(task=placement, to_user=other_collector, user=supervisor)
    task_complete(task=task, user=collector)
    with pytest.raises(ValidationError):
        task_reassign(task=task, to_user=other_collector, user=supervisor)  # closed
    assert Task.objects.get(pk=task.pk).assigned_to == collector


def test_a_supervisor_acknowledges_an_alert_and_a_new_one_may_follow(supervisor, collector):
    case = make_case(due_in_days=-10, phone=False, assigned_to=collector)
    factories.PhoneFactory(borrower=case.borrower, invalid=True)
    assert borrowers_flag_lost_contact() == [case.borrower_id]
    alert = Alert.objects.get()
    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert=alert, user=collector)

    alert_acknowledge(alert=alert, user=supervisor, note="asked the platform for a new number")

    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor and alert.acknowledged_at is not None
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ALERT_ACKNOWLEDGED)
    assert event.actor == supervisor and event.reason == "asked the platform for a new number"
    with pytest.raises(ValidationError):
        alert_acknowledge(alert=alert, user=supervisor)
    # The borrower is flagged again later (e.g. after a cleared flag): a new alert, the old one kept.
    case.borrower.lost_contact = False
    case.borrower.save(update_fields=["lost_contact"])
    assert borrowers_flag_lost_contact() == [case.borrower_id]
    assert Alert.objects.filter(borrower=case.borrower).count() == 2


def test_tasks_and_alerts_are_visible_through_their_cases(collector, other_collector, supervisor, admin_user):
    mine = _task(make_case(due_in_days=-5, assigned_to=collector), collector)
    theirs = _task(make_case(due_in_days=-5, assigned_to=other_collector), other_collector)
    west = factories.UserFactory(role=Role.COLLECTOR, team=factories.TeamFactory(name="West"))
    far = _task(make_case(due_in_days=-5, assigned_to=west), west)
    assert list(Task.objects.visible_to(collector)) == [mine]
    assert set(Task.objects.visible_to(supervisor)) == {mine, theirs}
    assert set(Task.objects.visible_to(admin_user)) == {mine, theirs, far}
    alert = Alert.objects.create(kind="lost_contact", borrower=far.case.borrower, case=far.case, message="x")
    assert list(Alert.objects.visible_to(supervisor)) == []
    assert list(Alert.objects.visible_to(admin_user)) == [alert]
