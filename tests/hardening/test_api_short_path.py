"""The platform API's short path through the middleware (core.middleware): a keyed call skips the session,
the signed-in user, messages and htmx; it keeps every security header and the CSP, built once from the
settings; a staff session calling the API, and every page, take the whole way."""

from __future__ import annotations

import pytest
from csp.utils import build_policy
from django.test import override_settings

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def test_a_keyed_call_skips_the_session_and_keeps_the_security_headers(api):
    response = api.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json()["platform"] == "Alpha Lending"
    request = response.wsgi_request
    assert not hasattr(request, "session") and not hasattr(request, "htmx") and not hasattr(request, "_messages")
    for header in SECURITY_HEADERS:
        assert response.has_header(header), header
    assert response["Content-Security-Policy"] == build_policy()
    assert "sessionid" not in response.cookies


def test_a_keyed_call_is_still_answered_in_the_language_asked_for(api):
    response = api.get("/api/v1/ping/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Language"] == "zh-hans"


def test_a_call_without_a_key_is_refused_on_the_short_path_too(anon_api):
    response = anon_api.get("/api/v1/ping/")
    assert response.status_code == 401
    assert response["Content-Security-Policy"] == build_policy()


def test_a_staff_session_calling_the_api_takes_the_whole_way(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.wsgi_request.session.session_key  # the session was read: the user is the staff member
    assert response.wsgi_request.user == supervisor
    assert response["Content-Security-Policy"] == build_policy()


def test_pages_take_the_whole_way_with_the_same_policy(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/cases/")
    assert response.status_code == 200
    assert response.wsgi_request.user == supervisor and hasattr(response.wsgi_request, "htmx")
    assert response["Content-Security-Policy"] == build_policy()


def test_a_changed_policy_is_sent_at_once(api):
    before = api.get("/api/v1/ping/")["Content-Security-Policy"]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert api.get("/api/v1/ping/")["Content-Security-Policy"] == "default-src 'none'"
    assert api.get("/api/v1/ping/")["Content-Security-Policy"] == before
