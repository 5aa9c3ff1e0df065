"""Report the borrowers whose retention period has ended and pseudonymise their personal data."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from compliance import lifecycle


class Command(BaseCommand):
    help = (
        "List borrowers whose records are past their retention period (years after the last collection "
        "activity, by pack) and pseudonymise their personal data; --dry-run only lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report only; erase nothing")

    def handle(self, *args, **options):
        now = timezone.now()
        due = lifecycle.retention_due(now=now)
        for item in due:
            self.stdout.write(
                f"borrower {item.borrower_id}: {item.pack}, {item.years} years after "
                f"{item.last_activity:%Y-%m-%d}: retention ended {item.ends_at:%Y-%m-%d}"
            )
        if options["dry_run"]:
            self.stdout.write(f"{len(due)} borrower(s) past retention (dry run: nothing erased).")
            return
        erasures = lifecycle.records_purge(now=now)
        for erasure in erasures:
            if erasure.status == "refused":
                self.stdout.write(f"borrower {erasure.borrower_id}: kept ({', '.join(erasure.refused_because)})")
        done = sum(1 for e in erasures if e.status == "done")
        self.stdout.write(f"{done} borrower(s) pseudonymised, {len(erasures) - done} kept by a hold.")
