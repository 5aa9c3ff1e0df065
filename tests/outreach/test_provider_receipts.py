"""Providers' delivery receipts over HTTP (issue 17, item 2): signed with the provider's secret, in each
provider's shape, applied once. Messages are sent for real first: a reminder through the HTTP gateway to
a loopback provider (SMS), or through Django's mail backend (e-mail)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse

from borrowers.models import Email, OptOut, Phone
from contacts.models import ContactAttempt
from outreach.models import (
    Alert,
    AlertKind,
    JobStatus,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    ProviderCallback,
    StrategyStep,
)
from outreach.services import reminder_send
from tests import factories
from webhooks.signing import sign

from .conftest import due_job, make_case, shanghai, step
from .test_gateways import Provider

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)
# SendGrid signs its event webhook with its own private key (ECDSA P-256) and shows us the public key.
SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC_KEY = base64.b64encode(
    SENDGRID_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
).decode()
SECRETS = {"generic": "generic-secret", "aliyun": "aliyun-secret", "sendgrid": SENDGRID_PUBLIC_KEY}


def sendgrid_headers(body: bytes, *, timestamp: int | None = None, key=SENDGRID_KEY) -> dict[str, str]:
    """What SendGrid sends: the timestamp, and base64 of its DER ECDSA signature of timestamp + body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": stamp,
        "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
    }


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.PROVIDER_CALLBACK_SECRETS = dict(SECRETS)


@pytest.fixture
def provider(settings):
    server = Provider()
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = server.url
    yield server
    server.close()


def post(client, provider: str, payload, *, secret: str | None = None, kind: str = "receipts", signature=None):
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {}
    if provider == "sendgrid" and signature is None:
        headers = sendgrid_headers(body)
    elif signature is not False:
        headers["HTTP_X_SIGNATURE"] = signature or sign(body, secret or SECRETS[provider])
    return client.post(
        reverse(f"api-provider-{kind}", kwargs={"provider": provider}),
        data=body,
        content_type="application/json",
        **headers,
    )


def sent_sms(strategy, provider) -> OutboundMessage:
    """A reminder SMS the provider accepted (not yet delivered): its contact still pending."""
    case = make_case(due_in_days=0)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    message = OutboundMessage.objects.get(job=job)
    assert message.status == MessageStatus.SENT and message.provider_id and message.contact.is_pending
    return message


def sent_email(strategy, settings) -> OutboundMessage:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for language in ("en", "zh-hans"):
        MessageTemplate.objects.create(
            code="due-email", channel="email", language=language, subject="Due", body="{borrower_name}: {amount}"
        )
    email_step = StrategyStep.objects.create(
        strategy=strategy, offset_days=0, channel="email", template_code="due-email"
    )
    case = make_case(due_in_days=0, phone=False)
    factories.EmailFactory(borrower=case.borrower)
    job = due_job(case, email_step, status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    message = OutboundMessage.objects.get(job=job)
    assert message.status == MessageStatus.SENT and message.provider_id.startswith("<")
    return message


def test_a_delivered_receipt_sets_the_message_and_the_contact_once(client, strategy, provider):
    message = sent_sms(strategy, provider)
    sent_at = message.sent_at
    receipt = {"id": "evt-1", "message_id": message.provider_id, "status": "delivered", "at": "2026-01-14T02:01:00Z"}

    response = post(client, "generic", receipt)

    assert response.status_code == 200, response.content
    assert response.json() == {"results": [{"id": "evt-1", "result": "delivered"}]}
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.receipt_at.isoformat() == "2026-01-14T02:01:00+00:00"
    assert message.sent_at == sent_at  # the time it went, not the receipt's
    contact = ContactAttempt.objects.get(pk=message.contact_id)
    assert contact.outcome == "delivered"
    assert message.job.delivery_status == "delivered"

    # The provider delivers the same receipt again: nothing changes, it is answered as a duplicate.
    again = post(client, "generic", receipt)
    assert again.json() == {"results": [{"id": "evt-1", "result": "duplicate"}]}
    assert ContactAttempt.objects.get(pk=contact.pk).outcome_at == contact.outcome_at
    assert ProviderCallback.objects.filter(external_id="evt-1").count() == 1


def test_a_failed_receipt_fails_the_message_and_the_contact_but_keeps_the_number(client, strategy, provider):
    message = sent_sms(strategy, provider)
    response = post(client, "generic", {"reference": message.idempotency_key, "status": "failed", "error": "no signal"})
    assert response.json()["results"][0]["result"] == "failed"
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error == "no signal"
    assert ContactAttempt.objects.get(pk=message.contact_id).outcome == "failed"
    assert Phone.objects.get(number=message.to).invalid is False


def test_an_invalid_number_marks_the_phone_invalid_and_flags_lost_contact(
    client, strategy, provider, django_capture_on_commit_callbacks
):
    message = sent_sms(strategy, provider)
    report = [
        {
            "phone_number": message.to[3:],
            "send_time": "2026-01-14 10:00:00",
            "report_time": "2026-01-14 10:00:05",
            "success": False,
            "err_code": "MOBILE_NUMBER_ILLEGAL",
            "err_msg": "号码无效",
            "biz_id": message.provider_id,
            "out_id": message.idempotency_key,
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "aliyun", report)

    assert response.json()["results"] == [{"id": f"{message.provider_id}:MOBILE_NUMBER_ILLEGAL", "result": "invalid"}]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.receipt_at.isoformat() == "2026-01-14T02:00:05+00:00"  # Beijing time without an offset
    assert Phone.objects.get(number=message.to).invalid is True
    borrower = message.contact.borrower
    borrower.refresh_from_db()
    assert borrower.lost_contact is True
    assert Alert.objects.filter(borrower=borrower, kind=AlertKind.LOST_CONTACT).exists()


def test_a_hard_bounce_marks_the_address_invalid(client, strategy, settings, django_capture_on_commit_callbacks):
    message = sent_email(strategy, settings)
    events = [
        {"email": message.to, "event": "processed", "sg_event_id": "sg-1", "smtp-id": message.provider_id},
        {
            "email": message.to,
            "event": "bounce",
            "type": "bounce",
            "reason": "550 5.1.1 no such user",
            "sg_event_id": "sg-2",
            "smtp-id": message.provider_id,
            "timestamp": 1768356000,
        },
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "sendgrid", events)

    assert response.json()["results"] == [{"id": "sg-1", "result": "ignored"}, {"id": "sg-2", "result": "bounced"}]
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error == "550 5.1.1 no such user"
    assert Email.objects.get(address=message.to).invalid is True
    assert ContactAttempt.objects.get(pk=message.contact_id).outcome == "failed"


def test_a_blocked_email_fails_without_invalidating_the_address(client, strategy, settings):
    message = sent_email(strategy, settings)
    blocked = {"event": "bounce", "type": "blocked", "sg_event_id": "sg-3", "smtp-id": message.provider_id}
    assert post(client, "sendgrid", [blocked]).json()["results"][0]["result"] == "failed"
    assert Email.objects.get(address=message.to).invalid is False


def test_a_complaint_opts_the_address_out_of_email(client, strategy, settings):
    message = sent_email(strategy, settings)
    complaint = {"event": "spamreport", "sg_event_id": "sg-4", "smtp-id": message.provider_id}

    assert post(client, "sendgrid", [complaint]).json()["results"][0]["result"] == "complaint"

    borrower = message.contact.borrower
    assert list(OptOut.objects.filter(borrower=borrower).values_list("channel", "to")) == [("email", message.to)]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED  # it arrived: the complaint says so


def test_a_receipt_for_a_message_we_did_not_send_changes_nothing_and_is_not_kept(client, strategy, provider):
    response = post(client, "generic", {"message_id": "prov-1", "status": "delivered"})
    assert response.json()["results"] == [{"id": "prov-1:delivered", "result": "unknown_message"}]
    assert ProviderCallback.objects.count() == 0
    # The same receipt, redelivered once the message it names has been sent, applies.
    message = sent_sms(strategy, provider)
    assert message.provider_id == "prov-1"
    again = post(client, "generic", {"message_id": "prov-1", "status": "delivered"})
    assert again.json()["results"] == [{"id": "prov-1:delivered", "result": "delivered"}]


@pytest.mark.parametrize(
    "signature",
    [False, "sha256=" + "0" * 64, "sha256=deadbeef", "garbage"],
    ids=["missing", "wrong", "short", "not-hmac"],
)
def test_an_unsigned_or_badly_signed_receipt_is_401_and_records_nothing(client, strategy, provider, signature):
    message = sent_sms(strategy, provider)
    response = post(client, "generic", {"message_id": message.provider_id, "status": "delivered"}, signature=signature)
    assert response.status_code == 401
    assert ProviderCallback.objects.count() == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_another_providers_secret_or_a_platform_key_is_not_enough(client, api, settings):
    payload = {"message_id": "x", "status": "delivered"}
    assert post(client, "generic", payload, secret=SECRETS["aliyun"]).status_code == 401
    # A platform's own key does not sign a provider's callback.
    url = reverse("api-provider-receipts", kwargs={"provider": "generic"})
    assert api.post(url, payload, format="json").status_code == 401
    # A provider without a configured secret has every callback refused, even one "signed" with "".
    settings.PROVIDER_CALLBACK_SECRETS = {"generic": ""}
    assert post(client, "generic", payload, secret="").status_code == 401


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"message_id": "m"}, "status"),
        ({"message_id": "m", "status": "read"}, "status"),
        ({"status": "delivered"}, "message_id"),
        ([], "events"),
        (["not an object"], "events"),
        ({"message_id": "m", "status": "delivered", "at": "yesterday"}, "at"),
        ({"message_id": {"a": 1}, "status": "delivered"}, "message_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, payload, field):
    response = post(client, "generic", payload)
    assert response.status_code == 400
    assert field in response.json()
    assert ProviderCallback.objects.count() == 0


def test_a_body_that_is_not_json_is_refused(client):
    body = b"status=delivered"
    url = reverse("api-provider-receipts", kwargs={"provider": "generic"})
    response = client.post(
        url, data=body, content_type="application/json", HTTP_X_SIGNATURE=sign(body, SECRETS["generic"])
    )
    assert response.status_code == 400


def test_a_provider_without_a_replies_shape_is_404(client):
    assert post(client, "sendgrid", {"id": "1"}, kind="replies").status_code == 404
