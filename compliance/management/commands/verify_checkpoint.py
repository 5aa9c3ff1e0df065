"""`manage.py verify_checkpoint FILE --public-key KEY`: was anything before a signed checkpoint rewritten?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.checkpoint import CheckpointError, checkpoint_loads, checkpoint_verify, load_public_key


class Command(BaseCommand):
    help = (
        "Check a checkpoint's Ed25519 signature with the operator's public key, then that every chain still "
        "passes through the link it names and verifies; exit 1 otherwise. Needs only the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("checkpoint", help="the checkpoint file")
        parser.add_argument(
            "--public-key", required=True, help="the operator's public key: a PEM file, or its raw 32 bytes in base64"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = checkpoint_loads(Path(options["checkpoint"]).read_text(encoding="utf-8"))
            public_key = load_public_key(options["public_key"])
        except (CheckpointError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        report = checkpoint_verify(checkpoint, public_key)
        summary = (
            f"Checkpoint of {report.created_at or '(unsigned)'}: {report.chains_checked} chain(s), "
            f"{report.links_checked} link(s) checked."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"{summary} Signature valid; nothing before it was rewritten."))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"{summary} {len(report.problems)} problem(s); first: {report.problems[0]}", returncode=1)
