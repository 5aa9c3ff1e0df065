"""`manage.py seed_demo`: demo users and a demo portfolio; safe to run again (it adds nothing twice)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import Agency, Role
from cases.models import Case
from demo.activity import seed_operations
from demo.portfolio import AGENCY_NAME, DEMO_PASSWORD, DEMO_USERS, seed_demo


class Command(BaseCommand):
    help = "Create demo users (password demo12345) and a demo collections portfolio. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = seed_demo(log=self.stdout.write)
        seed_operations(users=result.users, agency=Agency.objects.get(name=AGENCY_NAME), log=self.stdout.write)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Borrowers added: {result.borrowers_created}, loans added: {result.loans_created}, "
            f"cases opened: {result.cases_opened} ({elapsed:.1f} s)"
        )
        for name, key in result.platform_keys.items():
            self.stdout.write(self.style.WARNING(f"API key for {name} (shown once): {key}"))

        role_labels = dict(Role.choices)
        rows = [("username", "password", "role", "language", "open cases visible")]
        for spec in DEMO_USERS:
            user = result.users[spec.username]
            visible = Case.objects.visible_to(user).open().count()
            rows.append((user.username, DEMO_PASSWORD, str(role_labels[user.role]), user.language, str(visible)))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (at / ):"))
        for n, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
