"""`manage.py verify_evidence`: walk the evidence chains and name the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance import evidence
from compliance.models import VerificationRun


class Command(BaseCommand):
    help = "Verify the tamper-evident chains of decisions and contacts; exit 1 when a record was altered or removed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--borrower", type=int, action="append", help="only this borrower id (repeatable)")
        parser.add_argument(
            "--backfill", action="store_true", help="first link records that have no link yet (e.g. older data)"
        )
        parser.add_argument("--no-record", action="store_true", help="do not store the result for the evidence page")

    def handle(self, *args: Any, **options: Any) -> None:
        borrower_ids = options["borrower"]
        if options["backfill"]:
            added = evidence.backfill(borrower_ids=borrower_ids)
            self.stdout.write(f"Linked {added} record(s) that had no link.")
        report = evidence.verify(borrower_ids=borrower_ids)
        if not options["no_record"]:
            VerificationRun.objects.create(
                scope="borrowers " + ",".join(map(str, borrower_ids)) if borrower_ids else "all",
                borrowers_checked=report.borrowers_checked,
                links_checked=report.links_checked,
                ok=report.ok,
                failures=report.failures_as_dicts(),
            )
        summary = f"Checked {report.links_checked} link(s) in {report.borrowers_checked} chain(s)."
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"{summary} Evidence intact."))
            return
        for failure in report.failures:
            self.stderr.write(failure.describe())
        first = report.failures[0]
        raise CommandError(
            f"{summary} {len(report.failures)} chain(s) broken; first: {first.kind} {first.object_id} {first.problem}",
            returncode=1,
        )
