"""Gateways against a real loopback HTTP provider (http.server in a thread), the file outbox and
Django's mail backend."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from borrowers.models import Phone
from outreach.gateways import EmailGateway, FileGateway, HttpGateway, Message
from outreach.models import Alert, JobStatus, MessageStatus, OutboundMessage
from outreach.services import reminder_send

from .conftest import due_job, make_case, shanghai, step

DAYTIME = shanghai(10)


class Provider:
    """A scripted SMS provider: answers the queued status codes in turn, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                provider.requests.append(
                    {
                        "body": body,
                        "key": self.headers.get("Idempotency-Key"),
                        "auth": self.headers.get("Authorization"),
                    }
                )
                status = provider.statuses.pop(0) if provider.statuses else 200
                payload = {"id": f"prov-{len(provider.requests)}", "status": "accepted"} if status == 200 else {}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    p = Provider()
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = p.url
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    yield p
    p.close()


def _message(key: str = "reminder-1") -> Message:
    return Message(channel="sms", to="+8613900000001", body="hello", idempotency_key=key)


def test_http_gateway_classifies_provider_answers(provider):
    gateway = HttpGateway(url=provider.url, token="secret-token", timeout_s=5)
    provider.statuses = [503, 429, 400]
    assert gateway.send(_message()).transient_error.startswith("HTTP 503")
    assert gateway.send(_message()).transient_error.startswith("HTTP 429")
    assert gateway.send(_message()).permanent_error.startswith("HTTP 400")
    ok = gateway.send(_message())
    assert ok.ok and ok.provider_id == "prov-4" and ok.status == "accepted"
    assert {r["key"] for r in provider.requests} == {"reminder-1"}
    assert provider.requests[0]["auth"] == "Bearer secret-token"


def test_http_gateway_treats_an_unreachable_provider_as_transient():
    gateway = HttpGateway(url="http://127.0.0.1:9/nothing", timeout_s=1)
    assert gateway.send(_message()).transient_error


@pytest.mark.django_db
def test_a_transient_failure_keeps_the_job_claimed_and_the_retry_sends_once(strategy, provider):
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), status="claimed", claimed_at=DAYTIME)
    provider.statuses = [503]
    first = reminder_send(job_id=job.pk, now=DAYTIME)
    assert first.status == "retry" and first.retry_in == 20
    job.refresh_from_db()
    assert job.status == JobStatus.CLAIMED and job.delivery_status == "retrying"
    assert job.claimed_at > DAYTIME  # the recovery leaves it to the retry

    second = reminder_send(job_id=job.pk, now=DAYTIME)
    assert second.status == "sent"
    job.refresh_from_db()
    message = OutboundMessage.objects.get(job=job)
    assert job.status == JobStatus.SENT and job.provider_id == "prov-2"
    assert message.status == MessageStatus.SENT and message.send_attempts == 2 and message.provider == "http"
    # Both attempts carried the job's idempotency key, so the provider can de-duplicate.
    assert [r["key"] for r in provider.requests] == [job.idempotency_key] * 2
    # Accepted, not yet delivered: the outcome waits for the delivery receipt.
    assert job.contact.outcome == ""


@pytest.mark.django_db
def test_a_permanent_failure_marks_the_phone_invalid_and_flags_lost_contact(
    strategy, provider, supervisor, django_capture_on_commit_callbacks
):
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), status="claimed", claimed_at=DAYTIME)
    provider.statuses = [404]
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_send(job_id=job.pk, now=DAYTIME).status == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.skip_reason == "permanent_failure"
    assert job.contact.outcome == "failed"
    assert list(Phone.objects.filter(borrower=case.borrower).values_list("invalid", flat=True)) == [True]
    case.borrower.refresh_from_db()
    assert case.borrower.lost_contact is True
    alert = Alert.objects.get(borrower=case.borrower)
    assert alert.kind == "lost_contact" and alert.supervisor == supervisor


@pytest.mark.django_db
def test_the_file_gateway_writes_one_line_per_idempotency_key(outbox):
    gateway = FileGateway()
    first = gateway.send(_message("reminder-7"))
    again = gateway.send(_message("reminder-7"))
    other = gateway.send(_message("reminder-8"))
    lines = (outbox / "sms.log").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["reminder-7", "reminder-8"]
    assert again.duplicate and again.provider_id == first.provider_id != other.provider_id
    assert len((outbox / "sms.duplicates.log").read_text().splitlines()) == 1


@pytest.mark.django_db
def test_email_goes_through_djangos_mail_backend(strategy):
    result = EmailGateway().send(
        Message(
            channel="email", to="b@example.com", subject="Reminder", body="Please pay", idempotency_key="reminder-9"
        )
    )
    assert result.ok and result.status == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["b@example.com"] and sent.extra_headers["X-Idempotency-Key"] == "reminder-9"
    assert sent.extra_headers["Message-ID"] == result.provider_id


@pytest.mark.django_db
def test_a_template_with_prohibited_content_is_refused():
    from django.core.exceptions import ValidationError

    from outreach.models import MessageTemplate

    template = MessageTemplate(
        code="bad", channel="sms", language="zh-hans", body="{borrower_name}，不还钱就曝光你的通讯录"
    )
    with pytest.raises(ValidationError):
        template.full_clean()
    unknown = MessageTemplate(code="bad2", channel="sms", language="en", body="Hi {nickname}")
    with pytest.raises(ValidationError, match="nickname"):
        unknown.full_clean()
