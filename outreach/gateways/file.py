"""Development and test gateway: one JSON line per message in <OUTBOX_DIR>/<channel>.log.

It behaves like a provider that honours idempotency keys: a key it has already accepted is not written
again (the first provider id is returned and the duplicate is noted in <channel>.duplicates.log). This is
what lets the kill-the-worker test count exactly-once sends line by line.
"""

from __future__ import annotations

import fcntl
import json
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import Gateway, Message, SendResult


class FileGateway(Gateway):
    name = "file"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or settings.OUTBOX_DIR)

    def send(self, message: Message) -> SendResult:
        delay_ms = getattr(settings, "REMINDER_TEST_SEND_DELAY_MS", 0)
        if delay_ms:
            # Simulated provider latency, so that a test can kill a worker in the middle of a batch.
            time.sleep(delay_ms / 1000)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{message.channel}.log"
        with path.open("a+", encoding="utf-8") as fh:
            # One writer at a time across processes; the lock dies with a killed process.
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            for line in fh:
                record = json.loads(line)
                if record.get("key") == message.idempotency_key:
                    with (self.directory / f"{message.channel}.duplicates.log").open("a", encoding="utf-8") as dup:
                        dup.write(json.dumps({"key": message.idempotency_key, "at": timezone.now().isoformat()}) + "\n")
                    return SendResult(provider_id=record["provider_id"], status="delivered", duplicate=True)
            provider_id = f"file-{uuid.uuid4().hex[:16]}"
            record = {
                "key": message.idempotency_key,
                "provider_id": provider_id,
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "at": timezone.now().isoformat(),
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
        return SendResult(provider_id=provider_id, status="delivered")
