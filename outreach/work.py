"""Work the scheduler creates for people, as work: closing a task (done or cancelled) and acknowledging
an alert, each with who and when, on the task's history and the case's timeline (cases.events).

Reassigning a task to another collector is assignment, the supervisors' (supervision.services.task_reassign).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Perm, can
from cases.events import case_event_record
from cases.models import CaseEvent

from .models import Alert, Task, TaskStatus

CLOSING_EVENTS = {TaskStatus.DONE: CaseEvent.Kind.TASK_DONE, TaskStatus.CANCELLED: CaseEvent.Kind.TASK_CANCELLED}


def _task_close(*, task: Task, user: User, status: str, note: str, now: dt.datetime | None) -> Task:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
        if locked.assigned_to_id != user.pk and not can(user, Perm.SUPERVISE):
            raise PermissionDenied(_("Only the task's assignee or a supervisor may close it."))
        if locked.status != TaskStatus.OPEN:
            raise ValidationError({"task": [_("This task is already closed.")]})
        locked.status = status
        locked.closed_at = now
        locked.closed_by = user
        locked._history_user = user  # type: ignore[attr-defined]  # simple-history's who
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        case_event_record(
            case_id=locked.case_id,
            kind=CLOSING_EVENTS[TaskStatus(status)],
            old=locked.kind,
            new=status,
            reason=note or locked.reason,
            actor=user,
            at=now,
            data={"task_id": locked.pk},
        )
    return locked


def task_complete(*, task: Task, user: User, note: str = "", now: dt.datetime | None = None) -> Task:
    """Mark an open task done. Its case may escalate again (outreach.escalation counts from now on)."""
    return _task_close(task=task, user=user, status=TaskStatus.DONE, note=note, now=now)


def task_cancel(*, task: Task, user: User, note: str = "", now: dt.datetime | None = None) -> Task:
    """Close an open task without doing it (no longer needed), saying why."""
    return _task_close(task=task, user=user, status=TaskStatus.CANCELLED, note=note, now=now)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user: User, note: str = "", now: dt.datetime | None = None) -> Alert:
    """A supervisor has seen the alert: who and when, and on the case's timeline when it names a case.
    The next lost-contact check may raise a new alert for the same borrower."""
    if not can(user, Perm.SUPERVISE):
        raise PermissionDenied(_("Only a supervisor may acknowledge an alert."))
    now = now or timezone.now()
    locked = Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        raise ValidationError({"alert": [_("This alert has already been acknowledged.")]})
    locked.acknowledged_at = now
    locked.acknowledged_by = user
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    if locked.case_id is not None:
        case_event_record(
            case_id=locked.case_id,
            kind=CaseEvent.Kind.ALERT_ACKNOWLEDGED,
            new=locked.kind,
            reason=note or locked.message,
            actor=user,
            at=now,
            data={"alert_id": locked.pk},
        )
    return locked
