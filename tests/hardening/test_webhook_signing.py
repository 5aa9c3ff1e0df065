"""Standard Webhooks signatures beside X-Signature: a receiver verifies the signed timestamp and refuses
a replayed capture; X-Signature stays exactly as API.md fixes it."""

from __future__ import annotations

import pytest

from tests.webhooks.helpers import make_due
from tests.webhooks.receiver import Received, running_receiver
from webhooks.models import EventStatus, EventType, WebhookEvent
from webhooks.services import event_deliver, event_emit
from webhooks.signing import (
    TIMESTAMP_TOLERANCE_S,
    WebhookVerificationError,
    sign,
    sign_standard,
    standard_headers,
    verify_standard,
)

SECRET = "whsec-test-secret-0123456789"
MSG_ID = "5f1c2a9e-0000-4000-8000-000000000001"
BODY = '{"event_id":"5f1c2a9e-0000-4000-8000-000000000001","type":"case.opened","data":{"dpd":3,"name":"王小明"}}'
TIMESTAMP = 1_781_000_000


def test_the_signature_is_the_standard_webhooks_one():
    # Computed with the Standard Webhooks reference library (standardwebhooks 1.1.0, Python), whose key
    # is "whsec_" + base64(SECRET's UTF-8 bytes): the signed content is "{id}.{timestamp}.{body}".
    expected = "v1,oe+9Boh+z7j9MH9L267paDHgfDhEcVhpG/3czdonw/U="
    assert sign_standard(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET) == expected


def test_a_fresh_delivery_verifies_and_names_its_event():
    headers = standard_headers(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET)
    # Any header case, a receiver clock a little behind or ahead of ours.
    shouted = {name.upper(): value for name, value in headers.items()}
    for now in (TIMESTAMP - 60, TIMESTAMP, TIMESTAMP + TIMESTAMP_TOLERANCE_S):
        assert verify_standard(body=BODY.encode(), headers=shouted, secret=SECRET, now=now) == MSG_ID


@pytest.mark.parametrize("offset", [TIMESTAMP_TOLERANCE_S + 1, 3600, -(TIMESTAMP_TOLERANCE_S + 1)])
def test_a_delivery_replayed_later_or_dated_ahead_is_refused(offset):
    headers = standard_headers(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_standard(body=BODY.encode(), headers=headers, secret=SECRET, now=TIMESTAMP + offset)


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-timestamp": str(TIMESTAMP + 3600)},  # a replayer re-dating the capture
        {"webhook-id": "another-id"},
    ],
)
def test_a_changed_header_breaks_the_signature(change):
    headers = {**standard_headers(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET), **change}
    now = int(headers["webhook-timestamp"])
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_standard(body=BODY.encode(), headers=headers, secret=SECRET, now=now)


def test_another_body_or_secret_is_refused_and_missing_headers_too():
    headers = standard_headers(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_standard(body=BODY.encode() + b" ", headers=headers, secret=SECRET, now=TIMESTAMP)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify_standard(body=BODY.encode(), headers=headers, secret="another", now=TIMESTAMP)
    without = {k: v for k, v in headers.items() if k != "webhook-timestamp"}
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_standard(body=BODY.encode(), headers=without, secret=SECRET, now=TIMESTAMP)


def test_one_of_several_signatures_may_match():
    ours = sign_standard(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY.encode(), secret=SECRET)
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(TIMESTAMP), "webhook-signature": f"v1,b2xk {ours}"}
    assert verify_standard(body=BODY.encode(), headers=headers, secret=SECRET, now=TIMESTAMP) == MSG_ID


def _timestamp(received: Received) -> int:
    return int(received.headers["webhook-timestamp"])


@pytest.mark.django_db
def test_a_real_delivery_carries_both_signatures_and_a_replay_of_it_is_refused(platform):
    with running_receiver(platform.webhook_secret, script=[500]) as receiver:
        platform.webhook_url = receiver.url
        platform.save(update_fields=["webhook_url"])
        event = event_emit(platform=platform, type=EventType.CASE_OPENED, data={"case": 1, "dpd": 3})
        assert event_deliver(event_id=event.pk) == EventStatus.FAILED
        make_due(event)
        assert event_deliver(event_id=event.pk) == EventStatus.DELIVERED

    first, second = receiver.received
    for received in (first, second):
        # X-Signature exactly as API.md fixes it, and the receiver's check of it passes.
        assert received.signature_ok
        assert received.headers["x-signature"] == sign(received.body, platform.webhook_secret)
        # The Standard Webhooks signature verifies at the time it was sent...
        sent_at = _timestamp(received)
        verified = verify_standard(
            body=received.body, headers=received.headers, secret=platform.webhook_secret, now=sent_at
        )
        assert verified == str(event.event_id) == received.json["event_id"]
        # ...and the same capture, replayed more than five minutes later, does not.
        with pytest.raises(WebhookVerificationError, match="tolerance"):
            verify_standard(
                body=received.body,
                headers=received.headers,
                secret=platform.webhook_secret,
                now=sent_at + TIMESTAMP_TOLERANCE_S + 1,
            )
    # A retry is the same message (same id, same body) signed at its own attempt's time.
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    attempts = WebhookEvent.objects.get(pk=event.pk).deliveries.order_by("attempt")
    assert [_timestamp(first), _timestamp(second)] == [int(d.attempted_at.timestamp()) for d in attempts]
