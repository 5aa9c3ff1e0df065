"""`manage.py evidence_checkpoint --out FILE`: the chain heads, signed with the operator's key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.checkpoint import CheckpointError, checkpoint_create, checkpoint_dumps, load_private_key


class Command(BaseCommand):
    help = "Export every evidence chain's head as a checkpoint signed with the Ed25519 key EVIDENCE_SIGNING_KEY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="file to write the checkpoint to ('-' for standard output)")
        parser.add_argument("--key", help="the private key's PEM file (default: EVIDENCE_SIGNING_KEY[_FILE])")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = load_private_key(Path(options["key"]).read_bytes() if options["key"] else None)
        except (CheckpointError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        text = checkpoint_dumps(checkpoint_create(key=key))
        if options["out"] == "-":
            self.stdout.write(text, ending="")
            return
        Path(options["out"]).write_text(text, encoding="utf-8")
        self.stderr.write(f"Checkpoint written to {options['out']}.")
