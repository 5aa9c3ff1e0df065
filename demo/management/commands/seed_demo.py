"""`manage.py seed_demo`: demo users and a demo portfolio; safe to run again (it adds nothing twice)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Agency
from demo.activity import seed_operations
from demo.experiments import assign_history, seed_experiment
from demo.history import seed_history
from demo.lifecycle import seed_lifecycle
from demo.portfolio import AGENCY_NAME, seed_demo
from demo.sign_ins import assign_cases_of_due_call_tasks, sign_ins_table


class Command(BaseCommand):
    help = "Create demo users (password demo12345) and a demo collections portfolio. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-sign-ins", action="store_true", help="leave the sign-ins table to `manage.py demo_sign_ins`"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = seed_demo(log=self.stdout.write)
        # Before the operations' planner run, so today's M1 cases are planned from their arms.
        seed_experiment(log=self.stdout.write)
        seed_operations(users=result.users, agency=Agency.objects.get(name=AGENCY_NAME), log=self.stdout.write)
        # After yesterday's calls: the history goes through the gate in its own time order after them.
        seed_history(users=result.users, log=self.stdout.write)
        # The history's cured cases into the experiment's arms (their cure rates), then the rest of a debt's
        # life: penalty interest, a pause, a write-off with a recovery, the legal path.
        assign_history(log=self.stdout.write)
        seed_lifecycle(users=result.users, log=self.stdout.write)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Borrowers added: {result.borrowers_created}, loans added: {result.loans_created}, "
            f"cases opened: {result.cases_opened} ({elapsed:.1f} s)"
        )
        for name, key in result.platform_keys.items():
            self.stdout.write(self.style.WARNING(f"API key for {name} (shown once): {key}"))

        # What the worker's first dispatch would assign, assigned now: the counts printed stay true.
        assigned = assign_cases_of_due_call_tasks()
        if assigned:
            self.stdout.write(f"Cases of due collector-task reminders assigned: {assigned}")
        if not options["no_sign_ins"]:
            self.stdout.write(sign_ins_table(), ending="")
