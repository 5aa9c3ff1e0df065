"""Providers' native signatures (issue 17, item 2): Twilio's X-Twilio-Signature on its form-encoded status
callbacks and inbound messages, SendGrid's ECDSA-signed event webhook. Each signature is computed here
the way the provider documents it (never our own verifier's code), against a message sent for real."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from borrowers.models import OptOut, Phone
from contacts.models import ContactAttempt
from outreach.models import JobStatus, MessageStatus, OutboundMessage, ProviderCallback
from outreach.services import reminder_send

from .conftest import due_job, make_case, outbox_lines, shanghai, step
from .test_provider_receipts import SECRETS, sendgrid_headers, sent_email, sent_sms
from .test_provider_receipts import provider as provider  # noqa: F401 - the loopback SMS provider fixture

pytestmark = pytest.mark.django_db

AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
DAYTIME = shanghai(10)


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.PROVIDER_CALLBACK_SECRETS = {**SECRETS, "twilio": AUTH_TOKEN}


def twilio_post(client, kind: str, fields: dict[str, str], *, token: str = AUTH_TOKEN, url: str | None = None):
    """POST as Twilio does: form-encoded, signed over the full URL then each field name and value, sorted."""
    path = reverse(f"api-provider-{kind}", kwargs={"provider": "twilio"})
    signed = (url or f"http://testserver{path}") + "".join(f"{k}{fields[k]}" for k in sorted(fields))
    signature = base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    return client.post(
        path,
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


def test_twilio_delivered_then_a_duplicate(client, strategy, provider):  # noqa: F811
    message = sent_sms(strategy, provider)
    fields = {"MessageSid": message.provider_id, "MessageStatus": "delivered", "To": message.to, "AccountSid": "AC1"}

    response = twilio_post(client, "receipts", fields)

    assert response.status_code == 200, response.content
    assert response.json()["results"] == [{"id": f"{message.provider_id}:delivered", "result": "delivered"}]
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert ContactAttempt.objects.get(pk=message.contact_id).outcome == "delivered"
    assert twilio_post(client, "receipts", fields).json()["results"][0]["result"] == "duplicate"


def test_twilio_unknown_handset_marks_the_number_invalid(client, strategy, provider):  # noqa: F811
    message = sent_sms(strategy, provider)
    sent = {"MessageSid": message.provider_id, "MessageStatus": "sent"}
    assert twilio_post(client, "receipts", sent).json()["results"][0]["result"] == "ignored"

    fields = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    response = twilio_post(client, "receipts", fields)

    assert response.json()["results"][0]["result"] == "invalid"
    assert Phone.objects.get(number=message.to).invalid is True
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error == "undelivered 30005"


def test_twilio_stop_reply_opts_out_and_the_gate_blocks_the_next_reminder(client, strategy, outbox, settings):
    settings.SMS_GATEWAY = "file"
    case = make_case(due_in_days=0)
    number = case.borrower.phones.get().number
    first = due_job(case, step(strategy, -3), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=first.pk, now=DAYTIME).status == "sent"

    fields = {"MessageSid": "SM-in-1", "From": number, "To": "+15005550006", "Body": "Stop", "NumMedia": "0"}
    response = twilio_post(client, "replies", fields)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert b"<Response></Response>" in response.content  # TwiML: nothing to answer
    assert OptOut.objects.filter(borrower=case.borrower, channel="sms", to=number).exists()
    second = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME.replace(hour=11))
    assert reminder_send(job_id=second.pk, now=DAYTIME.replace(hour=11)).status == "skipped"
    second.refresh_from_db()
    assert second.skip_reason == "opted_out"
    assert len(outbox_lines(outbox)) == 1


@pytest.mark.parametrize(
    "tamper",
    ["token", "url", "field", "none"],
)
def test_twilio_wrong_signature_is_401_and_records_nothing(client, strategy, provider, tamper):  # noqa: F811
    message = sent_sms(strategy, provider)
    fields = {"MessageSid": message.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    path = reverse("api-provider-receipts", kwargs={"provider": "twilio"})
    if tamper == "token":
        response = twilio_post(client, "receipts", fields, token="another-account")
    elif tamper == "url":
        response = twilio_post(client, "receipts", fields, url=f"https://elsewhere.example{path}")
    elif tamper == "field":
        # Signed for one error code, posted with another.
        signed = f"http://testserver{path}" + "".join(f"{k}{fields[k]}" for k in sorted(fields))
        good = base64.b64encode(hmac.new(AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
        response = client.post(
            path,
            data=urlencode({**fields, "ErrorCode": "30003"}),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=good,
        )
    else:
        response = client.post(path, data=urlencode(fields), content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401
    assert not ProviderCallback.objects.exists()
    assert Phone.objects.get(number=message.to).invalid is False


def test_without_its_auth_token_twilio_is_refused(client, settings):
    settings.PROVIDER_CALLBACK_SECRETS = {**SECRETS, "twilio": ""}
    assert (
        twilio_post(client, "receipts", {"MessageSid": "SM1", "MessageStatus": "delivered"}, token="").status_code
        == 401
    )


def test_twilio_posts_forms_and_the_others_json(client):
    body = json.dumps({"MessageSid": "SM1", "MessageStatus": "delivered"}).encode()
    path = reverse("api-provider-receipts", kwargs={"provider": "twilio"})
    signed = f"http://testserver{path}"  # a JSON body has no form fields to sign
    signature = base64.b64encode(hmac.new(AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    response = client.post(path, data=body, content_type="application/json", HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 415
    assert twilio_post(client, "receipts", {"MessageStatus": "delivered"}).status_code == 400  # no MessageSid


# --- SendGrid ------------------------------------------------------------------------------------------


def _sendgrid(client, events, headers):
    return client.post(
        reverse("api-provider-receipts", kwargs={"provider": "sendgrid"}),
        data=json.dumps(events).encode(),
        content_type="application/json",
        **headers,
    )


def test_sendgrid_signed_with_its_key_is_taken(client, strategy, settings):
    message = sent_email(strategy, settings)
    events = [{"event": "delivered", "sg_event_id": "sg-ok", "smtp-id": message.provider_id}]

    response = _sendgrid(client, events, sendgrid_headers(json.dumps(events).encode()))

    assert response.json()["results"] == [{"id": "sg-ok", "result": "delivered"}]
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.DELIVERED


@pytest.mark.parametrize("tamper", ["other_key", "old", "future", "body", "garbage"])
def test_sendgrid_refuses_what_its_key_did_not_sign_now(client, strategy, settings, tamper):
    message = sent_email(strategy, settings)
    events = [{"event": "bounce", "type": "bounce", "sg_event_id": "sg-x", "smtp-id": message.provider_id}]
    body = json.dumps(events).encode()
    now = int(time.time())
    headers = {
        "other_key": sendgrid_headers(body, key=ec.generate_private_key(ec.SECP256R1())),
        "old": sendgrid_headers(body, timestamp=now - 301),  # beyond the five minutes
        "future": sendgrid_headers(body, timestamp=now + 301),
        "body": sendgrid_headers(body.replace(b"bounce", b"delivered", 1)),
        "garbage": {**sendgrid_headers(body), "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": "not base64!"},
    }[tamper]

    assert _sendgrid(client, events, headers).status_code == 401
    assert not ProviderCallback.objects.exists()
    assert OutboundMessage.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_sendgrid_within_five_minutes_is_taken(client, strategy, settings):
    message = sent_email(strategy, settings)
    events = [{"event": "delivered", "sg_event_id": "sg-late", "smtp-id": message.provider_id}]
    body = json.dumps(events).encode()
    assert _sendgrid(client, events, sendgrid_headers(body, timestamp=int(time.time()) - 290)).status_code == 200


def test_the_schema_names_the_providers(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/providers/{provider}/receipts/"]["post"]
    provider_param = next(p for p in operation["parameters"] if p["name"] == "provider")
    assert {"generic", "aliyun", "twilio", "sendgrid", "push"} <= set(provider_param["schema"]["enum"])
    description = schema["components"]["securitySchemes"]["providerSignature"]["description"]
    assert "X-Twilio-Signature" in description and "SENDGRID_WEBHOOK_PUBLIC_KEY" in description
    assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]
