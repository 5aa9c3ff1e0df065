"""The supervisor's delivery log page and the admin's replay action."""

from __future__ import annotations

import pytest
from django.test import Client

from webhooks.models import EventStatus, EventType, WebhookEvent

pytestmark = pytest.mark.django_db

PAGE = "/webhooks/"


def _event(platform, **fields) -> WebhookEvent:
    return WebhookEvent.objects.create(platform=platform, type=EventType.CASE_OPENED, payload={}, **fields)


def _signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def test_the_page_needs_a_signed_in_supervisor(client, collector, platform):
    event = _event(platform)

    assert client.get(PAGE).status_code == 302
    assert _signed_in(collector).get(PAGE).status_code == 403
    assert _signed_in(collector).post(f"/webhooks/{event.event_id}/replay/").status_code == 403
    event.refresh_from_db()
    assert event.attempts == 0


def test_a_supervisor_sees_every_platforms_events_with_their_status(supervisor, platform, other_platform):
    dead = _event(platform, status=EventStatus.DEAD, attempts=12, last_error="HTTP 503")
    _event(other_platform, status=EventStatus.DELIVERED)

    page = _signed_in(supervisor).get(PAGE)

    assert page.status_code == 200
    html = page.content.decode()
    assert str(dead.event_id) in html
    assert "HTTP 503" in html
    assert "Alpha Lending" in html and "Beta Wallet" in html
    assert page.context["page_obj"].paginator.count == 2

    only_dead = _signed_in(supervisor).get(PAGE, {"status": "dead", "platform": str(platform.pk)})
    assert [e.pk for e in only_dead.context["events"]] == [dead.pk]


def test_replay_from_the_page_needs_the_csrf_token(supervisor, platform):
    event = _event(platform, status=EventStatus.DEAD, attempts=12)
    browser = _signed_in(supervisor, enforce_csrf_checks=True)
    url = f"/webhooks/{event.event_id}/replay/"

    assert browser.post(url).status_code == 403  # no token: a forged cross-site post
    event.refresh_from_db()
    assert event.status == EventStatus.DEAD

    browser.get(PAGE)  # sets the CSRF cookie, as the page's form does
    token = browser.cookies["csrftoken"].value
    response = browser.post(url, {"csrfmiddlewaretoken": token, "next": f"{PAGE}?status=dead"})

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?status=dead"
    event.refresh_from_db()
    assert (event.status, event.attempts) == (EventStatus.PENDING, 0)


def test_replay_does_not_redirect_off_site(supervisor, platform):
    event = _event(platform)

    response = _signed_in(supervisor).post(f"/webhooks/{event.event_id}/replay/", {"next": "https://evil.example/"})

    assert response["Location"] == PAGE


def test_the_admin_replays_the_selected_events(admin_user, platform):
    dead = _event(platform, status=EventStatus.DEAD, attempts=12)
    untouched = _event(platform, status=EventStatus.DEAD, attempts=12)

    response = _signed_in(admin_user).post(
        "/admin/webhooks/webhookevent/", {"action": "replay", "_selected_action": [dead.pk]}, follow=True
    )

    assert response.status_code == 200
    dead.refresh_from_db()
    untouched.refresh_from_db()
    assert (dead.status, dead.attempts) == (EventStatus.PENDING, 0)
    assert untouched.status == EventStatus.DEAD
    assert _signed_in(admin_user).get(f"/admin/webhooks/webhookevent/{dead.pk}/change/").status_code == 200
