"""`manage.py simulate_provider` against a running server (a live server on a loopback port): a receipt that
says the number is invalid and a STOP reply reach the provider endpoints over HTTP, signed as a provider
signs, and change what the gate allows next."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from borrowers.models import OptOut
from outreach.management.commands.simulate_provider import post_signed
from outreach.models import JobStatus, ProviderCallback
from outreach.services import reminder_send
from tests import factories

from .conftest import due_job, make_case, outbox_lines, shanghai, step

pytestmark = pytest.mark.django_db(transaction=True)

DAYTIME = shanghai(10)


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.PROVIDER_CALLBACK_SECRETS = {"generic": "generic-secret"}


def _simulate(live_server, *args: str) -> str:
    out = io.StringIO()
    call_command("simulate_provider", *args, "--url", live_server.url, stdout=out)
    return out.getvalue()


def _send(case, strategy_step, at):
    job = due_job(case, strategy_step, status=JobStatus.CLAIMED, claimed_at=at)
    return job, reminder_send(job_id=job.pk, now=at)


def test_a_stop_reply_opts_the_number_out_and_the_next_reminder_is_blocked(live_server, strategy, outbox):
    case = make_case(due_in_days=0)
    number = case.borrower.phones.get().number
    _job, outcome = _send(case, step(strategy, -3), DAYTIME)
    assert outcome.status == "sent"

    printed = _simulate(live_server, "reply", "--case", str(case.pk), "--text", "STOP")

    assert "-> 200" in printed and '"result":"opted_out"' in printed
    assert number not in printed and number.lstrip("+") not in printed  # no personal data printed
    assert OptOut.objects.filter(borrower=case.borrower, channel="sms", to=number).exists()
    assert ProviderCallback.objects.get().provider == "generic"
    later = DAYTIME.replace(hour=11)
    second, outcome = _send(case, step(strategy, 0), later)
    assert outcome.status == "skipped"
    second.refresh_from_db()
    assert second.skip_reason == "opted_out" and second.decision.allowed is False
    assert len(outbox_lines(outbox)) == 1


def test_an_invalid_number_receipt_stops_sms_to_that_number(live_server, strategy, outbox):
    case = make_case(due_in_days=0)
    phone = case.borrower.phones.get()
    _send(case, step(strategy, -3), DAYTIME)

    printed = _simulate(live_server, "receipt", "--case", str(case.pk), "--status", "invalid")

    assert '"result":"invalid"' in printed
    phone.refresh_from_db()
    assert phone.invalid
    later = DAYTIME.replace(hour=11)
    second, outcome = _send(case, step(strategy, 0), later)
    assert outcome.status == "skipped"
    assert len(outbox_lines(outbox)) == 1  # nothing more went to the invalid number


def test_a_delivered_receipt_is_taken(live_server, strategy, outbox):
    case = make_case(due_in_days=0)
    _send(case, step(strategy, -3), DAYTIME)

    printed = _simulate(live_server, "receipt", "--case", str(case.pk))

    assert "-> 200" in printed
    assert ProviderCallback.objects.get().event == "delivered"


def test_a_wrong_signature_is_refused_by_the_server_and_a_case_without_sms_is_named(live_server):
    body = b'{"id": "x", "from": "+8613900000000", "text": "STOP"}'

    status, _answer = post_signed(f"{live_server.url}/api/v1/providers/generic/replies/", body, "not-the-secret")

    assert status == 401
    assert not OptOut.objects.exists()
    with pytest.raises(CommandError, match="No SMS has been sent on case"):
        call_command("simulate_provider", "reply", "--case", str(factories.CaseFactory().pk), stdout=io.StringIO())
