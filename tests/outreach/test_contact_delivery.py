"""GET /api/v1/contacts/{id}/ (issue 17, item 4): the contact with the delivery status of the message that
carried it, from the provider's answer and then its receipt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import ContactAttempt
from outreach.models import JobStatus, OutboundMessage
from outreach.services import reminder_send

from .conftest import due_job, make_case, shanghai, step
from .test_provider_receipts import SECRETS, Provider, post

pytestmark = pytest.mark.django_db

DAYTIME = shanghai(10)


@pytest.fixture
def provider(settings):
    server = Provider()
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = server.url
    settings.PROVIDER_CALLBACK_SECRETS = dict(SECRETS)
    yield server
    server.close()


def url(contact_id: int) -> str:
    return reverse("api-contact-detail", kwargs={"pk": contact_id})


def test_a_reminders_contact_shows_its_delivery_from_sent_to_delivered(api, platform, client, strategy, provider):
    case = make_case(platform=platform, due_in_days=0)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    assert reminder_send(job_id=job.pk, now=DAYTIME).status == "sent"
    message = OutboundMessage.objects.get(job=job)

    body = api.get(url(message.contact_id)).json()
    assert body["id"] == message.contact_id and body["channel"] == "sms" and body["pending"] is True
    assert body["delivery"] == {
        "status": "sent",
        "channel": "sms",
        "provider": "http",
        "provider_id": "prov-1",
        "sent_at": body["delivery"]["sent_at"],
        "receipt_at": None,
        "error": "",
    }
    assert body["delivery"]["sent_at"]

    post(client, "generic", {"message_id": "prov-1", "status": "delivered", "at": "2026-01-14T02:00:09Z"})

    body = api.get(url(message.contact_id)).json()
    assert body["outcome"] == "delivered" and body["pending"] is False
    assert body["delivery"]["status"] == "delivered"
    assert body["delivery"]["receipt_at"] == "2026-01-14T02:00:09Z"


def test_a_failed_receipt_shows_the_providers_error(api, platform, client, strategy, provider):
    case = make_case(platform=platform, due_in_days=0)
    job = due_job(case, step(strategy, 0), status=JobStatus.CLAIMED, claimed_at=DAYTIME)
    reminder_send(job_id=job.pk, now=DAYTIME)
    contact_id = OutboundMessage.objects.get(job=job).contact_id
    post(client, "generic", {"message_id": "prov-1", "status": "failed", "error": "handset off for 72 h"})
    body = api.get(url(contact_id)).json()
    assert body["outcome"] == "failed"
    assert (body["delivery"]["status"], body["delivery"]["error"]) == ("failed", "handset off for 72 h")


def test_a_contact_no_message_carried_has_no_delivery(api, platform):
    case = make_case(platform=platform, due_in_days=0)
    response = api.post(
        reverse("api-contacts"),
        {"borrower": case.borrower.external_id, "channel": "call", "direction": "inbound", "outcome": "connected"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = api.get(url(response.json()["id"])).json()
    assert body["direction"] == "inbound" and body["delivery"] is None


def test_another_platforms_contact_is_404_and_no_key_is_401(api, other_api, anon_api, platform):
    case = make_case(platform=platform, due_in_days=0)
    contact = api.post(
        reverse("api-contacts"),
        {"borrower": case.borrower.external_id, "channel": "call", "direction": "inbound"},
        format="json",
    ).json()
    assert ContactAttempt.objects.filter(pk=contact["id"]).exists()
    assert other_api.get(url(contact["id"])).status_code == 404
    assert anon_api.get(url(contact["id"])).status_code == 401
    assert api.get(url(999999)).status_code == 404


def test_the_schema_documents_the_delivery(anon_api):
    schema = anon_api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/contacts/{id}/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ContactDetail")
    detail = schema["components"]["schemas"]["ContactDetail"]
    assert "delivery" in detail["properties"] and "outcome" in detail["properties"]
    delivery = schema["components"]["schemas"]["ContactDelivery"]
    assert {"status", "provider_id", "sent_at", "receipt_at", "error"} <= set(delivery["properties"])
    # The callbacks are in the schema too, signed by the provider's secret rather than a platform key.
    receipts = schema["paths"]["/api/v1/providers/{provider}/receipts/"]["post"]
    assert receipts["security"] == [{"providerSignature": []}]
    assert schema["components"]["securitySchemes"]["providerSignature"]["name"] == "X-Signature"
