from __future__ import annotations

import copy

import pytest

from borrowers.models import Borrower, Email, Hold, OptOut, Phone, ThirdParty
from contacts.models import ActorKind, ContactAttempt
from tests import factories

from .helpers import borrower_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/borrowers/"


def test_it_creates_a_borrower_with_the_contract_shape(api):
    r = api.post(URL, borrower_payload(), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= {
        "external_id", "full_name", "region", "timezone", "national_id", "date_of_birth", "language",
        "address", "phones", "emails", "third_parties", "vulnerabilities",
    }  # fmt: skip
    assert body["external_id"] == "B-1"
    assert body["region"] == "CN-31"
    assert body["national_id"] == "********1234"
    assert "310101199001011234" not in r.content.decode()
    assert [p["number"] for p in body["phones"]] == ["+8613912345678", "+862161234567"]
    assert all(isinstance(p["id"], int) for p in body["phones"] + body["emails"] + body["third_parties"])
    assert body["phones"][0]["autodial_consent"] is True
    assert body["phones"][1]["work_contact_prohibited"] is True
    assert body["emails"][0]["address"] == "wang@example.com"
    assert body["third_parties"][0] == {
        "id": body["third_parties"][0]["id"],
        "name": "Li Wei",
        "relationship": "spouse",
        "phone": "+8613812345678",
    }
    assert body["vulnerabilities"] == ["unemployed"]
    borrower = Borrower.objects.get(external_id="B-1")
    assert borrower.national_id_encrypted and "310101199001011234" not in borrower.national_id_encrypted
    assert borrower.history.count() == 1


def test_get_returns_the_same_shape(api):
    created = api.post(URL, borrower_payload(), format="json").json()
    r = api.get(f"{URL}B-1/")
    assert r.status_code == 200
    assert r.json() == created


def test_list_is_paginated_and_only_the_callers(api, platform, other_platform):
    api.post(URL, borrower_payload(), format="json")
    factories.BorrowerFactory(platform=other_platform, external_id="B-X")
    r = api.get(URL)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert body["results"][0]["external_id"] == "B-1"


def test_duplicate_external_id_is_a_400_on_external_id(api):
    assert api.post(URL, borrower_payload(), format="json").status_code == 201
    r = api.post(URL, borrower_payload(full_name="Someone else"), format="json")
    assert r.status_code == 400
    assert "external_id" in r.json()
    assert Borrower.objects.count() == 1


def test_the_same_external_id_on_another_platform_is_fine(api, other_api):
    assert api.post(URL, borrower_payload(), format="json").status_code == 201
    assert other_api.post(URL, borrower_payload(), format="json").status_code == 201


BAD_FIELDS = [
    ("external_id", None),
    ("external_id", ""),
    ("external_id", 12),
    ("full_name", None),
    ("region", "Shanghai"),
    ("region", "CN-99"),
    ("region", "XX-NY"),
    ("region", "US-ZZ"),
    ("region", ["CN-31"]),
    ("timezone", "Mars/Olympus"),
    ("timezone", "../../etc/passwd"),
    ("date_of_birth", "1990-13-01"),
    ("date_of_birth", "2999-01-01"),
    ("language", "fr"),
    ("phones", "+8613912345678"),
    ("phones", [{"number": "13912345678"}]),
    ("phones", [{"number": "+86123"}]),
    ("phones", [{"kind": "mobile"}]),
    ("phones", [{"number": "+8613912345678", "kind": "pager"}]),
    ("phones", [{"number": "+8613912345678", "autodial_consent": "maybe"}]),
    ("phones", [{"number": "+8613912345678"}, {"number": "+8613912345678"}]),
    ("phones", ["+8613912345678"]),
    ("emails", [{"address": "not-an-email"}]),
    ("emails", [{"address": "a@example.com", "kind": "other"}]),
    ("third_parties", [{"relationship": "spouse"}]),
    ("third_parties", [{"name": "X", "relationship": "friend"}]),
    ("third_parties", [{"name": "X", "phone": "12345"}]),
    ("vulnerabilities", ["rich"]),
    ("vulnerabilities", "elderly"),
    ("address", {"street": "x"}),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_each_bad_field_is_a_400_naming_it_and_writes_nothing(api, field, value):
    r = api.post(URL, borrower_payload(**{field: value}), format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Borrower.objects.count() == 0
    assert Phone.objects.count() == Email.objects.count() == ThirdParty.objects.count() == 0


@pytest.mark.parametrize("field", ["external_id", "full_name", "region"])
def test_required_fields(api, field):
    payload = borrower_payload()
    del payload[field]
    r = api.post(URL, payload, format="json")
    assert r.status_code == 400
    assert field in r.json()


@pytest.mark.parametrize("region", ["US-NY", "US-MA", "US-DC", "GB-ENG", "GB-SCT", "CN-SH", "cn-31"])
def test_known_regions_are_accepted(api, region):
    r = api.post(URL, borrower_payload(region=region, timezone=""), format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["region"] == region.upper()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"text"', b"null", b'{"external_id": "B-1", "phones": {"a": 1}}'],
)
def test_malformed_bodies_are_400(api, body):
    r = api.post(URL, body, content_type="application/json")
    assert r.status_code == 400
    assert Borrower.objects.count() == 0


def test_patch_changes_fields_and_replaces_lists_keeping_ids_of_kept_entries(api):
    created = api.post(URL, borrower_payload(), format="json").json()
    kept_phone_id = created["phones"][0]["id"]
    r = api.patch(
        f"{URL}B-1/",
        {
            "full_name": "Wang Fang (new)",
            "phones": [
                {"number": "+8613912345678", "kind": "mobile", "autodial_consent": False},
                {"number": "+8613700000000", "kind": "home"},
            ],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["full_name"] == "Wang Fang (new)"
    assert [p["number"] for p in body["phones"]] == ["+8613912345678", "+8613700000000"]
    assert body["phones"][0]["id"] == kept_phone_id
    assert body["phones"][0]["autodial_consent"] is False
    assert not Phone.objects.filter(number="+862161234567").exists()
    # lists not sent are untouched
    assert body["emails"] == created["emails"]
    assert body["third_parties"] == created["third_parties"]
    assert body["national_id"] == "********1234"


def test_patch_national_id_and_external_id_rules(api):
    api.post(URL, borrower_payload(), format="json")
    r = api.patch(f"{URL}B-1/", {"national_id": "X99887766"}, format="json")
    assert r.json()["national_id"] == "********7766"
    r = api.patch(f"{URL}B-1/", {"external_id": "B-2"}, format="json")
    assert r.status_code == 400 and "external_id" in r.json()


def test_patch_with_a_bad_phone_changes_nothing(api):
    api.post(URL, borrower_payload(), format="json")
    r = api.patch(f"{URL}B-1/", {"full_name": "Changed", "phones": [{"number": "+1"}]}, format="json")
    assert r.status_code == 400 and "phones" in r.json()
    b = Borrower.objects.get()
    assert b.full_name == "Wang Fang"
    assert b.phones.count() == 2


def test_patch_keeps_a_dropped_third_party_that_was_contacted(api, platform):
    created = api.post(URL, borrower_payload(), format="json").json()
    tp = ThirdParty.objects.get(pk=created["third_parties"][0]["id"])
    ContactAttempt.objects.create(
        platform=platform,
        borrower=tp.borrower,
        channel="call",
        party="third_party",
        third_party=tp,
        to=tp.phone,
        at=tp.borrower.created_at,
        actor_kind=ActorKind.PLATFORM,
    )
    r = api.patch(f"{URL}B-1/", {"third_parties": [{"name": "Zhang San", "relationship": "employer"}]}, format="json")
    assert r.status_code == 200, r.json()
    names = [t["name"] for t in r.json()["third_parties"]]
    assert names == ["Zhang San", "Li Wei"]  # the contacted one is kept, after the listed ones
    r = api.patch(f"{URL}B-1/", {"third_parties": []}, format="json")
    assert [t["name"] for t in r.json()["third_parties"]] == ["Li Wei"]
    assert not ThirdParty.objects.filter(name="Zhang San").exists()


def test_history_rows_are_written_on_update(api):
    api.post(URL, borrower_payload(), format="json")
    api.patch(f"{URL}B-1/", {"full_name": "Changed"}, format="json")
    b = Borrower.objects.get()
    assert [h.full_name for h in b.history.order_by("history_id")] == ["Wang Fang", "Changed"]


def test_isolation_other_platforms_borrower_is_404(api, other_platform):
    factories.BorrowerFactory(platform=other_platform, external_id="B-OTHER")
    assert api.get(f"{URL}B-OTHER/").status_code == 404
    assert api.patch(f"{URL}B-OTHER/", {"full_name": "x"}, format="json").status_code == 404
    assert api.post(f"{URL}B-OTHER/holds/", {"kind": "dispute"}, format="json").status_code == 404
    assert api.get(f"{URL}B-OTHER/holds/").status_code == 404
    assert api.post(f"{URL}B-OTHER/opt-outs/", {"channel": "sms"}, format="json").status_code == 404
    assert Hold.objects.count() == OptOut.objects.count() == 0


def test_anonymous_and_bad_keys_are_401(anon_api):
    assert anon_api.get(URL).status_code == 401
    assert anon_api.post(URL, borrower_payload(), format="json").status_code == 401
    anon_api.credentials(HTTP_AUTHORIZATION="Token nope")
    assert anon_api.get(URL).status_code == 401


def test_staff_session_sees_every_platform(client, admin_user, platform, other_platform):
    factories.BorrowerFactory(platform=platform, external_id="B-A")
    factories.BorrowerFactory(platform=other_platform, external_id="B-B")
    client.force_login(admin_user)
    r = client.get(URL)
    assert r.status_code == 200
    assert r.json()["count"] == 2


def test_a_non_staff_session_is_refused(client, collector):
    client.force_login(collector)
    assert client.get(URL).status_code == 403


def test_payload_is_not_mutated_by_reads(api):
    payload = borrower_payload()
    before = copy.deepcopy(payload)
    api.post(URL, payload, format="json")
    assert payload == before


@pytest.mark.django_db
def test_updated_since_with_an_offset_postgresql_cannot_hold_answers_200(api):
    """Offsets beyond ±15:59 are valid ISO 8601 and Python; the filter compares in UTC."""
    response = api.get("/api/v1/borrowers/", {"updated_since": "2026-01-01T00:00:00-18:06"})
    assert response.status_code == 200
