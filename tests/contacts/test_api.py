"""API tests for /compliance/check/, /compliance/decisions/{id}/ and /contacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from compliance.models import Decision
from contacts.models import ContactAttempt
from tests import factories

SHANGHAI_NOON = "2026-06-10T12:00:00+08:00"
SHANGHAI_NIGHT = "2026-06-10T23:00:00+08:00"


@pytest.fixture
def borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-17", region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    return borrower


@pytest.fixture
def loan(borrower):
    return factories.LoanFactory(borrower=borrower, external_id="L-17")


def test_check_allowed(api, borrower, loan):
    response = api.post(
        "/api/v1/compliance/check/",
        {"borrower": "B-17", "loan": "L-17", "channel": "call", "at": SHANGHAI_NOON},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True and body["reasons"] == [] and body["next_allowed_at"] is None
    assert body["rule_pack"] == "CN" and body["decision"] and body["evaluated_at"]
    assert not ContactAttempt.objects.exists()


def test_check_blocked_is_still_200_with_reasons_in_english_by_default(api, borrower):
    response = api.post(
        "/api/v1/compliance/check/", {"borrower": "B-17", "channel": "sms", "at": SHANGHAI_NIGHT}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is False
    assert [(r["rule"], r["code"]) for r in body["reasons"]] == [("quiet_hours", "quiet_hours")]
    assert body["reasons"][0]["message"].startswith("Outside the permitted hours")
    assert body["next_allowed_at"] == "2026-06-11T00:00:00Z"


def test_check_reasons_in_chinese_when_asked(api, borrower):
    response = api.post(
        "/api/v1/compliance/check/",
        {"borrower": "B-17", "channel": "sms", "at": SHANGHAI_NIGHT},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.json()["reasons"][0]["message"].startswith("不在允许的联系时间")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"party": "neighbour"}, "party"),
        ({"at": "yesterday-ish"}, "at"),
        ({"borrower": "B-404"}, "borrower"),
        ({"loan": "L-404"}, "loan"),
        ({"party": "third_party", "third_party": 999999}, "third_party"),
        ({"collectors": "two"}, "collectors"),
    ],
)
def test_check_bad_input_is_400_naming_the_field(api, borrower, payload, field):
    response = api.post("/api/v1/compliance/check/", {"borrower": "B-17", "channel": "call", **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_another_platforms_borrower_is_unknown(other_api, borrower):
    response = other_api.post("/api/v1/compliance/check/", {"borrower": "B-17", "channel": "call"}, format="json")
    assert response.status_code == 400 and "borrower" in response.json()


def test_anonymous_is_401(anon_api, borrower):
    assert (
        anon_api.post("/api/v1/compliance/check/", {"borrower": "B-17", "channel": "call"}, format="json").status_code
        == 401
    )
    assert anon_api.get("/api/v1/contacts/").status_code == 401
    assert anon_api.get("/api/v1/compliance/decisions/1/").status_code == 401


def test_decision_detail_with_facts_and_platform_isolation(api, other_api, borrower):
    decision_id = api.post(
        "/api/v1/compliance/check/", {"borrower": "B-17", "channel": "call", "at": SHANGHAI_NIGHT}, format="json"
    ).json()["decision"]
    response = api.get(f"/api/v1/compliance/decisions/{decision_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["borrower"] == "B-17" and body["allowed"] is False and body["dry_run"] is True
    assert body["facts"]["zones"]["candidates"] == ["Asia/Shanghai"]
    assert body["rule_pack_versions"] == {"COMMON": 1, "CN": 1}
    assert {r["code"] for r in body["results"]} >= {"quiet_hours", "daily_answered_cap"}
    assert other_api.get(f"/api/v1/compliance/decisions/{decision_id}/").status_code == 404
    assert api.get("/api/v1/compliance/decisions/999999/").status_code == 404


def test_post_contact_allowed_is_201_with_the_decision(api, borrower, loan):
    at = (timezone.now() - dt.timedelta(hours=1)).astimezone(dt.UTC)
    # Keep the test inside Shanghai's window whatever the hour it runs at: pin the time to 12:00 local.
    at = at.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(hour=12, minute=0, second=0, microsecond=0)
    if at > timezone.now():
        at -= dt.timedelta(days=1)
    response = api.post(
        "/api/v1/contacts/",
        {
            "borrower": "B-17",
            "loan": "L-17",
            "channel": "call",
            "at": at.isoformat(),
            "outcome": "no_answer",
            "duration_s": 0,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    contact = ContactAttempt.objects.get(pk=body["id"])
    assert body["decision"] == contact.decision_id and contact.outcome == "no_answer" and contact.loan == loan
    assert Decision.objects.get(pk=body["decision"]).dry_run is False


def test_post_contact_blocked_is_422_with_the_check_body_and_no_contact(api, borrower):
    factories.HoldFactory(borrower=borrower, kind="cease", starts_at=timezone.now() - dt.timedelta(days=1))
    response = api.post("/api/v1/contacts/", {"borrower": "B-17", "channel": "call"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert body["allowed"] is False and "hold_cease" in {r["code"] for r in body["reasons"]}
    assert Decision.objects.filter(pk=body["decision"]).exists()
    assert not ContactAttempt.objects.exists()


def test_inbound_contact_is_always_recorded(api, borrower):
    factories.HoldFactory(borrower=borrower, kind="cease", starts_at=timezone.now() - dt.timedelta(days=1))
    response = api.post(
        "/api/v1/contacts/",
        {"borrower": "B-17", "channel": "call", "direction": "inbound", "outcome": "connected"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["direction"] == "inbound" and response.json()["decision"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"direction": "sideways"}, "direction"),
        ({"at": "not a time"}, "at"),
        ({"borrower": "B-404"}, "borrower"),
    ],
)
def test_post_contact_bad_input_is_400(api, borrower, payload, field):
    response = api.post("/api/v1/contacts/", {"borrower": "B-17", "channel": "call", **payload}, format="json")
    assert response.status_code == 400 and field in response.json()


def test_post_contact_more_than_5_minutes_ahead_is_400(api, borrower):
    ahead = (timezone.now() + dt.timedelta(minutes=6)).isoformat()
    response = api.post("/api/v1/contacts/", {"borrower": "B-17", "channel": "letter", "at": ahead}, format="json")
    assert response.status_code == 400 and "at" in response.json()
    near = (timezone.now() + dt.timedelta(minutes=4)).isoformat()
    assert (
        api.post("/api/v1/contacts/", {"borrower": "B-17", "channel": "letter", "at": near}, format="json").status_code
        == 201
    )


def test_list_contacts_filtered_and_restricted_to_the_platform(api, other_api, borrower, loan, other_platform):
    other_borrower = factories.BorrowerFactory(platform=other_platform, external_id="B-17", region="CN-31")
    for b in (borrower, other_borrower):
        ContactAttempt.objects.create(
            platform=b.platform,
            borrower=b,
            channel="letter",
            at=timezone.now() - dt.timedelta(days=2),
            actor_kind="platform",
        )
    ContactAttempt.objects.create(
        platform=borrower.platform,
        borrower=borrower,
        loan=loan,
        channel="letter",
        at=timezone.now(),
        actor_kind="platform",
    )
    body = api.get("/api/v1/contacts/", {"borrower": "B-17"}).json()
    assert body["count"] == 2 and {"next", "previous", "results"} <= set(body)
    assert api.get("/api/v1/contacts/", {"loan": "L-17"}).json()["count"] == 1
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert api.get("/api/v1/contacts/", {"since": since}).json()["count"] == 1
    assert api.get("/api/v1/contacts/", {"since": "garbage"}).status_code == 400
    assert other_api.get("/api/v1/contacts/").json()["count"] == 1


def test_record_an_outcome_once_through_the_api(api, other_api, borrower):
    factories.ThirdPartyFactory(borrower=borrower)
    response = api.post("/api/v1/contacts/", {"borrower": "B-17", "channel": "letter"}, format="json")
    contact_id = response.json()["id"]
    assert response.json()["pending"] is True
    assert (
        other_api.post(f"/api/v1/contacts/{contact_id}/outcome/", {"outcome": "delivered"}, format="json").status_code
        == 404
    )
    assert (
        api.post(f"/api/v1/contacts/{contact_id}/outcome/", {"outcome": "delivered"}, format="json").status_code == 200
    )
    assert api.post(f"/api/v1/contacts/{contact_id}/outcome/", {"outcome": "failed"}, format="json").status_code == 409
    assert ContactAttempt.objects.get(pk=contact_id).outcome == "delivered"


def test_schema_documents_the_gate(api, admin_user, client):
    client.force_login(admin_user)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/compliance/check/" in response.content and b"/api/v1/contacts/" in response.content
