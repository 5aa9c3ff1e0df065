"""No personal data in the logs of a full demo run: `make run`'s seed (`seed_demo`), then the worker's first
dispatch and the send of every due reminder through the gate and the gateways, escalation, and webhook
deliveries to a receiver that is down, with every logger at DEBUG
through the production console handler (JSON), the seed's own output and whatever the processes print
(the console e-mail backend of `make run` included, which writes to the worker's log). Searched for every
demo borrower's name, phone numbers, e-mail addresses, national id and address."""

from __future__ import annotations

import io
import json
import socket

import pytest
from django.core.management import call_command

from borrowers import crypto
from borrowers.models import Borrower
from outreach import services
from outreach.escalation import escalation_run
from outreach.models import JobStatus, ReminderJob
from tests import factories
from tests.config.test_logs import log_lines  # noqa: F401 - the fixture
from webhooks.models import WebhookEvent
from webhooks.services import event_deliver

pytestmark = pytest.mark.django_db


def _personal_data() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"name": set(), "phone": set(), "email": set(), "national id": set()}
    found["address"] = set()
    for borrower in Borrower.objects.prefetch_related("phones", "emails"):
        found["name"].add(borrower.full_name)
        if borrower.national_id_encrypted:
            found["national id"].add(crypto.decrypt(borrower.national_id_encrypted))
        if borrower.address.strip():
            found["address"].add(borrower.address.strip())
        for phone in borrower.phones.all():
            found["phone"].update({phone.number, phone.number.lstrip("+")})
        found["email"].update(email.address for email in borrower.emails.all())
    return {kind: {value for value in values if len(value) >= 4} for kind, values in found.items()}


def test_a_full_demo_run_logs_no_personal_data(settings, tmp_path, log_lines, capsys):  # noqa: F811
    settings.OUTBOX_DIR = tmp_path / "outbox"  # what the gateways send goes there, not to a log
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as `make run` has it
    seed_output = io.StringIO()

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))  # a receiver that is down: bound, never listening
        # Alpha Lending's receiver is configured (the seed keeps an existing platform), so the run emits
        # its webhooks, and the worker's deliveries fail and say so in the log.
        alpha = factories.PlatformFactory(
            name="Alpha Lending", webhook_url=f"http://127.0.0.1:{holder.getsockname()[1]}/hooks"
        )
        call_command("seed_demo", "--no-sign-ins", stdout=seed_output)
        dispatch = services.reminders_dispatch(batch_size=10_000, enqueue=lambda ids: None)
        outcomes = [services.reminder_send(job_id=job_id).status for job_id in dispatch.job_ids]
        escalation_run()
        for event_pk in WebhookEvent.objects.filter(platform=alpha).values_list("pk", flat=True)[:20]:
            event_deliver(event_id=event_pk)

    assert dispatch.claimed and "sent" in outcomes  # the run did send reminders
    assert ReminderJob.objects.filter(status=JobStatus.SENT).exclude(provider_id="").exists()  # through a gateway
    printed = capsys.readouterr()
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.strip()]
    assert any("attempt 1" in line["message"] for line in lines), "the failed deliveries were logged"
    decoded = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)  # Chinese names as written
    texts = {
        "log": decoded,
        "seed output": seed_output.getvalue(),
        "standard output": printed.out,
        "standard error": printed.err,
    }
    personal = _personal_data()
    assert personal["name"] and personal["phone"] and personal["email"] and personal["national id"]
    leaks = [
        f"{kind} {value!r} in the {where}"
        for where, text in texts.items()
        for kind, values in personal.items()
        for value in values
        if value in text
    ]
    assert leaks == []
