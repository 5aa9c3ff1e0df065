"""Reads for pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case

from .models import Alert, ReminderJob, Task, TaskStatus


def case_reminders(case: Case) -> QuerySet[ReminderJob]:
    """The case's reminder jobs for its timeline: step, status, why skipped/deferred, the decision and
    the contact attempt the gate wrote, and the message sent. A constant number of queries."""
    return (
        ReminderJob.objects.filter(case=case)
        .select_related("step", "step__strategy", "decision", "contact", "message")
        .order_by("-scheduled_for", "-id")
    )


def user_open_tasks(user) -> QuerySet[Task]:
    return Task.objects.filter(assigned_to=user, status=TaskStatus.OPEN).select_related("case", "case__borrower")


def supervisor_open_alerts(user) -> QuerySet[Alert]:
    return Alert.objects.filter(supervisor=user, acknowledged_at__isnull=True).select_related("borrower", "case")


def tasks_for(user, *, status: str = TaskStatus.OPEN, assignee=None) -> QuerySet[Task]:
    """The tasks a user may see (of the cases they may see), open ones by due time, closed ones newest first."""
    tasks = Task.objects.visible_to(user).select_related("case", "case__borrower", "assigned_to", "closed_by")
    if status in TaskStatus.values:
        tasks = tasks.filter(status=status)
    if assignee is not None:
        tasks = tasks.filter(assigned_to=assignee)
    return tasks.order_by("due_at", "id") if status == TaskStatus.OPEN else tasks.order_by("-closed_at", "-id")


def tasks_due(user, *, until) -> QuerySet[Task]:
    """The user's own open tasks due by `until` (My day)."""
    return tasks_for(user).filter(assigned_to=user, due_at__lte=until)


def alerts_for(user, *, open_only: bool = True) -> QuerySet[Alert]:
    """The alerts a user may see (through their cases): open ones, oldest first; else the acknowledged ones."""
    alerts = Alert.objects.visible_to(user).select_related("borrower", "case", "supervisor", "acknowledged_by")
    if open_only:
        return alerts.filter(acknowledged_at__isnull=True).order_by("created_at", "id")
    return alerts.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "-id")
