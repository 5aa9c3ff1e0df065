"""The demo sign-ins `make run` shows, with the open cases each user will see.

The counts are the ones the Celery worker leaves: its first reminder dispatch turns the due collector-task
reminders into call tasks and gives their unassigned cases a collector (outreach.services). The seed
makes those assignments itself (`assign_cases_of_due_call_tasks`), the same way, so the table printed
before the worker has run is still right after it has.
"""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone
from rich.box import ROUNDED
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from accounts.models import Role, User
from cases.models import Case
from outreach.assignment import cases_assign
from outreach.models import JobStatus, ReminderJob, StepChannel

from .portfolio import DEMO_PASSWORD, DEMO_USERS


def assign_cases_of_due_call_tasks(*, now: dt.datetime | None = None) -> int:
    """Assign, as the worker's dispatch would, the open unassigned cases of due collector-task reminders."""
    now = now or timezone.now()
    case_ids = list(
        ReminderJob.objects.filter(
            status__in=(JobStatus.PENDING, JobStatus.DEFERRED),
            scheduled_for__lte=now,
            step__channel=StepChannel.TASK,
            case__assigned_to__isnull=True,
        )
        .values_list("case_id", flat=True)
        .distinct()
    )
    if not case_ids:
        return 0
    return len(cases_assign(case_ids=case_ids, include_all_open=True, now=now).assigned)


def sign_ins_table(*, url: str = "", logs: str = "", width: int = 100) -> str:
    """The framed table of demo users (password, role, language, open cases they see), as text."""
    table = Table(box=ROUNDED, show_edge=False, pad_edge=False)
    for column in ("username", "role", "language"):
        table.add_column(column)
    table.add_column("open cases", justify="right")
    role_labels = dict(Role.choices)
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in DEMO_USERS])}
    for spec in DEMO_USERS:
        user = users.get(spec.username)
        if user is None:
            continue
        visible = Case.objects.visible_to(user).open().count()
        table.add_row(user.username, str(role_labels[user.role]), user.language, str(visible))
    lines = [Text(f"Open {url} and sign in with the password {DEMO_PASSWORD} as:" if url else "")]
    after = []
    if logs:
        after.append(Text(f"The Celery worker and beat log to {logs}/worker.log and {logs}/beat.log."))
        after.append(Text("Ctrl-C stops the web, the worker and beat."))
    body = Group(*[line for line in lines if line.plain], table, *after)
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(
        Panel.fit(body, title="Demo sign-ins", border_style="green")
    )
    return out.getvalue()
