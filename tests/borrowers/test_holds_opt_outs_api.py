from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borrowers.models import Hold, OptOut
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def borrower(platform):
    return factories.BorrowerFactory(platform=platform, external_id="B-1")


def test_it_creates_a_hold_starting_now(api, borrower):
    before = timezone.now()
    r = api.post("/api/v1/borrowers/B-1/holds/", {"kind": "dispute", "note": "disputes the fee"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == "dispute" and body["borrower"] == "B-1" and body["loan"] is None
    assert body["ends_at"] is None and body["active"] is True and body["note"] == "disputes the fee"
    hold = Hold.objects.get(pk=body["id"])
    assert hold.starts_at >= before
    assert dt.datetime.fromisoformat(body["starts_at"]) == hold.starts_at
    assert hold.history.count() == 1


def test_a_hold_for_one_loan(api, borrower, platform):
    factories.LoanFactory(borrower=borrower, external_id="L-1")
    other = factories.LoanFactory(borrower=factories.BorrowerFactory(platform=platform), external_id="L-2")
    r = api.post("/api/v1/borrowers/B-1/holds/", {"kind": "attorney", "loan": "L-1"}, format="json")
    assert r.status_code == 201 and r.json()["loan"] == "L-1"
    r = api.post("/api/v1/borrowers/B-1/holds/", {"kind": "attorney", "loan": other.external_id}, format="json")
    assert r.status_code == 400 and "loan" in r.json()
    r = api.post("/api/v1/borrowers/B-1/holds/", {"kind": "attorney", "loan": "L-404"}, format="json")
    assert r.status_code == 400 and "loan" in r.json()
    assert Hold.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "holiday"},
        {},
        {"kind": "cease", "starts_at": "tomorrow"},
        {"kind": "cease", "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"},
        {"kind": "cease", "ends_at": "9999-12-31T23:59:59-10:00"},
    ],
)
def test_bad_holds_are_400(api, borrower, body):
    r = api.post("/api/v1/borrowers/B-1/holds/", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) & {"kind", "starts_at", "ends_at"}
    assert not Hold.objects.exists()


def test_patch_lifts_a_hold_and_validates_the_end(api, borrower):
    hold = factories.HoldFactory(borrower=borrower, starts_at=timezone.now() - dt.timedelta(days=2))
    r = api.patch(
        f"/api/v1/holds/{hold.pk}/", {"ends_at": (hold.starts_at - dt.timedelta(days=1)).isoformat()}, format="json"
    )
    assert r.status_code == 400 and "ends_at" in r.json()
    hold.refresh_from_db()
    assert hold.ends_at is None
    r = api.patch(f"/api/v1/holds/{hold.pk}/", {}, format="json")
    assert r.status_code == 200
    assert r.json()["active"] is False
    hold.refresh_from_db()
    assert hold.ends_at is not None and not hold.is_active(timezone.now())
    listed = api.get("/api/v1/borrowers/B-1/holds/").json()
    assert listed["count"] == 1 and listed["results"][0]["ends_at"] == r.json()["ends_at"]


def test_another_platforms_hold_is_404(api, other_platform):
    hold = factories.HoldFactory(borrower=factories.BorrowerFactory(platform=other_platform))
    assert api.patch(f"/api/v1/holds/{hold.pk}/", {}, format="json").status_code == 404
    hold.refresh_from_db()
    assert hold.ends_at is None


def test_opt_outs(api, borrower):
    r = api.post("/api/v1/borrowers/B-1/opt-outs/", {"channel": "sms", "to": "+8613912345678"}, format="json")
    assert r.status_code == 201, r.json()
    assert {k: r.json()[k] for k in ("borrower", "channel", "to")} == {
        "borrower": "B-1",
        "channel": "sms",
        "to": "+8613912345678",
    }
    r = api.post("/api/v1/borrowers/B-1/opt-outs/", {"channel": "email"}, format="json")
    assert r.status_code == 201 and r.json()["to"] == ""
    listed = api.get("/api/v1/borrowers/B-1/opt-outs/").json()
    assert listed["count"] == 2
    assert OptOut.objects.get(channel="email").history.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"channel": "visit"},
        {"channel": "pigeon"},
        {},
        {"channel": "sms", "to": "12"},
        {"channel": "email", "to": "nope"},
    ],
)
def test_bad_opt_outs_are_400(api, borrower, body):
    r = api.post("/api/v1/borrowers/B-1/opt-outs/", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) & {"channel", "to"}
    assert not OptOut.objects.exists()


def test_staff_writes_name_the_platform(client, admin_user, platform):
    from tests.api.helpers import borrower_payload

    client.force_login(admin_user)
    r = client.post("/api/v1/borrowers/", borrower_payload(), content_type="application/json")
    assert r.status_code == 400 and "platform" in r.json()
    r = client.post(
        "/api/v1/borrowers/", {**borrower_payload(), "platform": platform.pk}, content_type="application/json"
    )
    assert r.status_code == 201
    r = client.post("/api/v1/borrowers/B-1/holds/", {"kind": "cease"}, content_type="application/json")
    assert r.status_code == 201
    assert Hold.objects.get().created_by == admin_user
