"""Portal links: created over the API (the case's platform only) and by {portal_link} in a reminder;
found again only from their exact token while unexpired and unrevoked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from outreach.models import MessageTemplate
from outreach.rendering import SAMPLE_CONTEXT, TEMPLATE_PLACEHOLDERS, reminder_context, render_template, template_errors
from portal.models import LinkSource, PortalLink
from portal.services import portal_link_create, portal_link_find, portal_link_revoke, token_hash
from tests.factories import CaseFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def test_the_api_creates_a_link_for_the_cases_platform(api, case):
    response = api.post(f"/api/v1/cases/{case.pk}/portal-links/")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "url", "expires_at"}
    link = PortalLink.objects.get(pk=body["id"])
    assert link.case == case and link.source == LinkSource.API
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at == link.expires_at == link.created_at + dt.timedelta(days=14)  # PORTAL_LINK_DAYS
    assert dt.timedelta(0) <= link.created_at - NOW < dt.timedelta(minutes=1)
    token = _token(body["url"])
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert portal_link_find(token) == link


@override_settings(PORTAL_BASE_URL="https://collect.example.com")
def test_the_url_is_absolute_under_the_portal_base_url(api, case):
    url = api.post(f"/api/v1/cases/{case.pk}/portal-links/").json()["url"]
    assert url.startswith("https://collect.example.com/p/") and url.endswith("/")


def test_another_platform_gets_404_and_no_link(other_api, case):
    response = other_api.post(f"/api/v1/cases/{case.pk}/portal-links/")
    assert response.status_code == 404
    assert not PortalLink.objects.exists()


def test_without_a_key_401(anon_api, case):
    assert anon_api.post(f"/api/v1/cases/{case.pk}/portal-links/").status_code == 401


def test_the_schema_documents_the_endpoint(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/cases/{id}/portal-links/"]["post"]
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][created.rsplit("/", 1)[-1]]
    assert {"url", "expires_at"} <= set(component["properties"])


def test_an_expired_link_is_not_found(link_and_token, frozen_clock):
    link, token = link_and_token
    assert portal_link_find(token, now=link.expires_at - dt.timedelta(seconds=1)) == link
    assert portal_link_find(token, now=link.expires_at) is None


def test_a_revoked_link_is_not_found(link_and_token):
    link, token = link_and_token
    portal_link_revoke(link=link)
    assert portal_link_find(token) is None


def test_a_tampered_token_is_not_found(link_and_token):
    _link, token = link_and_token
    flipped = ("A" if token[0] != "A" else "B") + token[1:]
    for tampered in (flipped, token[:-1], token + "x", token.upper() if token != token.upper() else token.lower()):
        assert portal_link_find(tampered) is None


def test_each_link_is_for_one_case_only(link_and_token, platform):
    _link, token = link_and_token
    other = CaseFactory(loan__borrower__platform=platform)
    other_link = portal_link_find(token)
    assert other_link is not None and other_link.case != other


def test_a_reminder_template_places_a_new_link(case):
    assert "portal_link" in TEMPLATE_PLACEHOLDERS
    template = MessageTemplate(
        code="portal", channel="sms", language="en", body="Hi {borrower_name}, settle it here: {portal_link}"
    )
    assert template_errors(subject="", body=template.body, channel="sms") == {}
    context = reminder_context(case=case, due_date=NOW.date(), channel="sms", language="en")
    rendered = render_template(template, context)
    link = PortalLink.objects.get()
    assert link.case == case and link.source == LinkSource.REMINDER
    token = _token(rendered.body.rsplit(" ", 1)[-1])
    assert portal_link_find(token) == link


def test_a_reminder_without_the_placeholder_creates_no_link(case):
    template = MessageTemplate(code="plain", channel="sms", language="en", body="Hi {borrower_name}")
    render_template(template, reminder_context(case=case, due_date=NOW.date(), channel="sms", language="en"))
    assert not PortalLink.objects.exists()


def test_the_sample_link_is_at_least_as_long_as_a_real_one(case):
    _link, url = portal_link_create(case=case)
    assert len(SAMPLE_CONTEXT["portal_link"]) >= len("https://" + "h" * 92) + len(url)
