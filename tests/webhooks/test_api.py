"""The delivery log API: each platform sees its own events only; replay."""

from __future__ import annotations

import uuid

import pytest

from webhooks.models import EventStatus, EventType, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhooks/events/"


def _event(platform, **fields) -> WebhookEvent:
    fields.setdefault("type", EventType.CASE_OPENED)
    fields.setdefault("payload", {"case": 1})
    return WebhookEvent.objects.create(platform=platform, **fields)


def test_a_platform_lists_only_its_own_events_newest_first(api, platform, other_platform):
    older = _event(platform)
    newer = _event(platform, type=EventType.CASE_CLOSED)
    _event(other_platform)

    response = api.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [e["event_id"] for e in body["results"]] == [str(newer.event_id), str(older.event_id)]
    assert body["results"][0]["type"] == "case.closed"
    assert body["results"][0]["data"] == {"case": 1}


def test_the_list_filters_by_status_and_type_and_refuses_unknown_values(api, platform):
    _event(platform, status=EventStatus.DEAD)
    _event(platform, status=EventStatus.DELIVERED, type=EventType.PROMISE_KEPT)

    assert api.get(LIST, {"status": "dead"}).json()["count"] == 1
    assert api.get(LIST, {"type": "promise.kept"}).json()["results"][0]["status"] == "delivered"
    refused = api.get(LIST, {"status": "exploded"})
    assert refused.status_code == 400
    assert "status" in refused.json()


def test_an_event_shows_its_delivery_attempts(api, platform):
    event = _event(platform, status=EventStatus.FAILED, attempts=1, last_error="HTTP 500")
    WebhookDelivery.objects.create(
        event=event, attempt=1, url="http://example.test/h", status_code=500, error="HTTP 500"
    )

    response = api.get(f"{LIST}{event.event_id}/")

    assert response.status_code == 200
    assert response.json()["last_error"] == "HTTP 500"
    [attempt] = response.json()["deliveries"]
    assert (attempt["attempt"], attempt["status_code"], attempt["error"]) == (1, 500, "HTTP 500")


def test_another_platforms_event_is_not_found(api, other_platform):
    theirs = _event(other_platform)

    assert api.get(f"{LIST}{theirs.event_id}/").status_code == 404
    assert api.post(f"{LIST}{theirs.event_id}/replay/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EventStatus.PENDING and theirs.attempts == 0


def test_unknown_and_malformed_event_ids_are_not_found(api):
    assert api.get(f"{LIST}{uuid.uuid4()}/").status_code == 404
    assert api.get(f"{LIST}not-a-uuid/").status_code == 404


def test_anonymous_callers_are_refused(anon_api, platform):
    event = _event(platform)

    assert anon_api.get(LIST).status_code == 401
    assert anon_api.get(f"{LIST}{event.event_id}/").status_code == 401
    assert anon_api.post(f"{LIST}{event.event_id}/replay/").status_code == 401


def test_replay_sends_a_dead_event_again_with_the_same_event_id(
    api, platform, receiver, eager_celery, django_capture_on_commit_callbacks
):
    event = _event(platform, status=EventStatus.DEAD, attempts=12, last_error="HTTP 503")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{LIST}{event.event_id}/replay/")

    assert response.status_code == 202
    assert response.json()["event_id"] == str(event.event_id)
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == (EventStatus.DELIVERED, 1, "")
    assert receiver.delivered_event_ids == [str(event.event_id)]


def test_a_staff_session_sees_every_platforms_events(supervisor, platform, other_platform):
    from rest_framework.test import APIClient

    _event(platform)
    _event(other_platform)
    client = APIClient()
    client.force_login(supervisor)

    assert client.get(LIST).json()["count"] == 2
