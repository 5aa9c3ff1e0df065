"""`manage.py evidence_keygen`: a new Ed25519 key pair for signing evidence checkpoints."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.checkpoint import generate_key_pair


class Command(BaseCommand):
    help = (
        "Write a new Ed25519 key pair: the private key (PKCS#8 PEM, mode 600) for EVIDENCE_SIGNING_KEY_FILE, "
        "the public key (PEM) to hand to whoever verifies checkpoints."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--private-key", required=True, help="file to write the private key to (must not exist)")
        parser.add_argument("--public-key", required=True, help="file to write the public key to")

    def handle(self, *args: Any, **options: Any) -> None:
        private_path, public_path = Path(options["private_key"]), Path(options["public_key"])
        if private_path.exists():
            # Overwriting a signing key would orphan every checkpoint signed with it.
            raise CommandError(f"{private_path} exists; not overwritten.")
        private, public = generate_key_pair()
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        public_path.write_bytes(public)
        self.stdout.write(f"Private key: {private_path} (keep it secret). Public key: {public_path}.")
