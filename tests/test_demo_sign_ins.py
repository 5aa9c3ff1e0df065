"""The sign-ins `make run` prints last: framed, and with the open cases each user will see once the worker
has taken the first reminders (its dispatch assigns the cases of due collector tasks; the seed did it
already, so the counts do not move)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from demo.portfolio import DEMO_USERS
from outreach import services

pytestmark = pytest.mark.django_db


def _counts(table: str) -> dict[str, int]:
    rows = re.findall(r"│ (\w+)\s+│.*│\s+(\d+)\s+│", table)
    return {username: int(count) for username, count in rows}


def test_the_counts_printed_are_those_the_worker_leaves():
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_sign_ins", "--logs", "var/log", stdout=out)
    printed = out.getvalue()

    # The worker's first dispatch: claim the due reminders, send each (tasks for collectors included).
    dispatch = services.reminders_dispatch(batch_size=10_000)
    assert dispatch.claimed
    for job_id in dispatch.job_ids:
        services.reminder_send(job_id=job_id)
    after = io.StringIO()
    call_command("demo_sign_ins", stdout=after)

    assert set(_counts(printed)) == {u.username for u in DEMO_USERS}
    assert _counts(after.getvalue()) == _counts(printed)
    assert printed.startswith("╭") and "Demo sign-ins" in printed.splitlines()[0]
    assert "var/log/worker.log" in printed and "var/log/beat.log" in printed
