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
