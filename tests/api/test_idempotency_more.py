"""Idempotency-Key (optional) on /contacts/, /cases/{id}/promises/, /cases/{id}/plans/ and /borrowers/bulk/.

The same key with the same body answers the first response again (same status and body) and writes
nothing; the same key with another body answers 409; without the header every request runs as before.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import IdempotencyRecord
from accounts.tasks import idempotency_keys_purge, purge_idempotency_keys
from borrowers.models import Borrower, Phone
from compliance.models import Decision
from contacts.models import ContactAttempt
from repayment_plans.models import Plan, Promise
from tests import factories
from tests.repayment_plans.conftest import make_case

from .helpers import borrower_payload

pytestmark = pytest.mark.django_db

IN_A_WEEK = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
PLAN = {"kind": "installment", "first_due_date": IN_A_WEEK, "installment_count": 3, "frequency": "monthly"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-17", region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    return borrower


@pytest.fixture
def case(platform):
    return make_case(platform)


def counts() -> dict[str, int]:
    return {
        "contacts": ContactAttempt.objects.count(),
        "decisions": Decision.objects.count(),
        "promises": Promise.objects.count(),
        "plans": Plan.objects.count(),
        "borrowers": Borrower.objects.count(),
        "phones": Phone.objects.count(),
        "borrower_history": Borrower.history.count(),
        "keys": IdempotencyRecord.objects.count(),
    }


def post(api, url, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(url, body, format="json", **headers)


def assert_replays(api, url, body, other_body, expected_status):
    first = post(api, url, body, "k-1")
    assert first.status_code == expected_status, first.json()
    before = counts()
    again = post(api, url, body, "k-1")
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert counts() == before
    conflict = post(api, url, other_body, "k-1")
    assert conflict.status_code == 409
    assert "Idempotency-Key" in conflict.json()
    assert counts() == before
    return first


# --- /contacts/ -----------------------------------------------------------------------------------------


def test_contact_replay_answers_the_first_201_and_writes_nothing(api, borrower):
    at = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    body = {"borrower": "B-17", "channel": "call", "direction": "inbound", "outcome": "connected", "at": at}
    first = assert_replays(api, "/api/v1/contacts/", body, {**body, "outcome": "refused"}, 201)
    assert ContactAttempt.objects.filter(pk=first.json()["id"]).count() == 1
    assert ContactAttempt.objects.count() == 1


def test_contact_blocked_422_is_replayed_without_a_second_decision(api, borrower):
    factories.HoldFactory(borrower=borrower, kind="cease", starts_at=timezone.now() - dt.timedelta(days=1))
    body = {"borrower": "B-17", "channel": "call"}
    first = assert_replays(api, "/api/v1/contacts/", body, {**body, "channel": "sms"}, 422)
    assert first.json()["allowed"] is False
    assert Decision.objects.count() == 1
    assert not ContactAttempt.objects.exists()


def test_contact_without_the_key_runs_every_time(api, borrower):
    body = {"borrower": "B-17", "channel": "call", "direction": "inbound", "outcome": "connected"}
    assert post(api, "/api/v1/contacts/", body).status_code == 201
    assert post(api, "/api/v1/contacts/", body).status_code == 201
    assert ContactAttempt.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_400_does_not_use_up_the_key(api, borrower):
    body = {"borrower": "B-17", "channel": "call", "direction": "inbound", "outcome": "connected"}
    assert post(api, "/api/v1/contacts/", {**body, "channel": "pigeon"}, "k-1").status_code == 400
    assert not IdempotencyRecord.objects.exists()
    assert post(api, "/api/v1/contacts/", body, "k-1").status_code == 201


def test_a_malformed_key_is_400(api, borrower):
    body = {"borrower": "B-17", "channel": "call", "direction": "inbound"}
    response = post(api, "/api/v1/contacts/", body, "x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not ContactAttempt.objects.exists()


def test_keys_are_per_platform(api, other_api, borrower, other_platform):
    other = factories.BorrowerFactory(platform=other_platform, external_id="B-17", region="CN-31")
    factories.PhoneFactory(borrower=other, number="+8613912345678")
    body = {"borrower": "B-17", "channel": "call", "direction": "inbound", "outcome": "connected"}
    assert post(api, "/api/v1/contacts/", body, "k-1").status_code == 201
    assert post(other_api, "/api/v1/contacts/", body, "k-1").status_code == 201
    assert ContactAttempt.objects.count() == 2


# --- /cases/{id}/promises/ ------------------------------------------------------------------------------


def test_promise_replay_and_conflict(api, case):
    url = f"/api/v1/cases/{case.pk}/promises/"
    body = {"amount": "100.00", "due_date": IN_A_WEEK}
    assert_replays(api, url, body, {**body, "amount": "200.00"}, 201)
    assert Promise.objects.count() == 1


def test_a_promise_key_reused_on_another_case_is_409(api, case, platform):
    other_case = make_case(platform)
    body = {"amount": "100.00", "due_date": IN_A_WEEK}
    assert post(api, f"/api/v1/cases/{case.pk}/promises/", body, "k-1").status_code == 201
    assert post(api, f"/api/v1/cases/{other_case.pk}/promises/", body, "k-1").status_code == 409
    assert Promise.objects.count() == 1


def test_promise_without_the_key_runs_every_time(api, case):
    body = {"amount": "100.00", "due_date": IN_A_WEEK}
    url = f"/api/v1/cases/{case.pk}/promises/"
    assert post(api, url, body).status_code == 201
    assert post(api, url, body).status_code == 201
    assert Promise.objects.count() == 2


def test_another_platforms_case_stays_404_with_a_key(other_api, case):
    body = {"amount": "100.00", "due_date": IN_A_WEEK}
    assert post(other_api, f"/api/v1/cases/{case.pk}/promises/", body, "k-1").status_code == 404
    assert not IdempotencyRecord.objects.exists()


# --- /cases/{id}/plans/ ---------------------------------------------------------------------------------


def test_plan_replay_and_conflict(api, case):
    url = f"/api/v1/cases/{case.pk}/plans/"
    first = assert_replays(api, url, PLAN, {**PLAN, "installment_count": 2}, 201)
    assert Plan.objects.count() == 1 and first.json()["status"] == "active"


def test_a_plan_dry_run_is_not_stored_and_leaves_the_key_free(api, case):
    url = f"/api/v1/cases/{case.pk}/plans/"
    preview = post(api, url, {**PLAN, "dry_run": True}, "k-1")
    assert preview.status_code == 200
    again = post(api, url, {**PLAN, "dry_run": True}, "k-1")
    assert again.status_code == 200 and again.json() == preview.json()
    assert not IdempotencyRecord.objects.exists() and not Plan.objects.exists()
    assert post(api, url, PLAN, "k-1").status_code == 201
    assert Plan.objects.count() == 1


# --- /borrowers/bulk/ -----------------------------------------------------------------------------------


def test_bulk_borrowers_replay_and_conflict(api):
    rows = [borrower_payload(external_id=f"B-{i}", phones=[{"number": f"+861391234500{i}"}]) for i in range(3)]
    first = assert_replays(api, "/api/v1/borrowers/bulk/", rows, rows[:2], 200)
    assert first.json() == {"created": 3, "updated": 0}
    assert Borrower.objects.count() == 3
    # without the key the same upload runs again: everything is already there
    assert post(api, "/api/v1/borrowers/bulk/", rows).json() == {"created": 0, "updated": 3}


# --- keys are purged after their TTL --------------------------------------------------------------------


def test_purge_deletes_records_older_than_the_ttl(platform, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 48
    old = IdempotencyRecord.objects.create(platform=platform, scope="payments", key="old", request_hash="x")
    young = IdempotencyRecord.objects.create(platform=platform, scope="payments", key="young", request_hash="x")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=49))
    IdempotencyRecord.objects.filter(pk=young.pk).update(created_at=timezone.now() - dt.timedelta(hours=47))
    assert purge_idempotency_keys.apply().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["young"]


def test_the_ttl_never_goes_below_24_hours(platform, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 1
    record = IdempotencyRecord.objects.create(platform=platform, scope="payments", key="k", request_hash="x")
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(hours=23))
    assert idempotency_keys_purge() == 0


def test_the_purge_runs_daily_from_beat(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "accounts.purge_idempotency_keys"]
    assert len(entries) == 1


def test_the_schema_documents_the_optional_header(api, admin_user, client):
    client.force_login(admin_user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/contacts/",
        "/api/v1/cases/{id}/promises/",
        "/api/v1/cases/{id}/plans/",
        "/api/v1/borrowers/bulk/",
    ):
        params = schema["paths"][path]["post"].get("parameters", [])
        header = [p for p in params if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert header and header[0].get("required", False) is False, path
