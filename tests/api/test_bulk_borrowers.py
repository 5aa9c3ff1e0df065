"""POST /api/v1/borrowers/bulk/: up to 10,000 borrowers, all or nothing, errors by row, history written."""

from __future__ import annotations

import pytest

from borrowers.models import Borrower, Email, Phone, ThirdParty

from .helpers import borrower_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/borrowers/bulk/"


def rows(n: int, start: int = 0) -> list[dict]:
    return [
        borrower_payload(
            external_id=f"B-{i}",
            national_id=f"31010119900101{i:04d}",
            phones=[{"number": f"+86139{i:08d}", "kind": "mobile", "autodial_consent": True}],
            emails=[{"address": f"b{i}@example.com"}],
            third_parties=[{"name": f"Ref {i}", "relationship": "spouse", "phone": f"+86138{i:08d}"}],
        )
        for i in range(start, start + n)
    ]


def test_it_creates_borrowers_with_contact_points_and_history(api):
    response = api.post(URL, rows(5), format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 5, "updated": 0}
    assert Borrower.objects.count() == 5
    assert Phone.objects.count() == Email.objects.count() == ThirdParty.objects.count() == 5
    assert Borrower.history.filter(history_type="+").count() == 5
    assert Phone.history.filter(history_type="+").count() == 5
    assert Email.history.count() == 5 and ThirdParty.history.count() == 5
    detail = api.get("/api/v1/borrowers/B-3/").json()
    assert detail["full_name"] == "Wang Fang" and detail["region"] == "CN-31"
    assert detail["national_id"] == "********0003"
    assert detail["phones"][0]["number"] == "+8613900000003" and detail["phones"][0]["autodial_consent"] is True
    assert detail["emails"][0]["address"] == "b3@example.com"
    assert detail["third_parties"][0]["relationship"] == "spouse"


def test_it_takes_the_wrapped_form_too(api):
    response = api.post(URL, {"borrowers": rows(2)}, format="json")
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0}


def test_an_existing_external_id_is_updated_and_contact_points_keep_their_ids(api, platform):
    api.post(URL, rows(3), format="json")
    kept_phone = Phone.objects.get(number="+8613900000001")
    changed = rows(2, start=1)
    changed[0]["full_name"] = "Wang Fang Renamed"
    changed[0]["phones"].append({"number": "+8613799999999", "kind": "home"})
    changed[0]["emails"] = []
    changed.append(borrower_payload(external_id="B-new", phones=[], emails=[], third_parties=[]))
    response = api.post(URL, changed, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 2}
    b1 = Borrower.objects.get(external_id="B-1")
    assert b1.full_name == "Wang Fang Renamed"
    assert list(b1.phones.values_list("number", flat=True)) == ["+8613900000001", "+8613799999999"]
    assert b1.phones.get(number="+8613900000001").pk == kept_phone.pk
    assert not b1.emails.exists()
    assert Email.history.filter(history_type="-").count() == 1
    assert b1.history.filter(history_type="~").count() == 1
    # B-2 came again unchanged: no new history row for it
    assert Borrower.objects.get(external_id="B-2").history.count() == 1
    assert Borrower.objects.get(external_id="B-0").full_name == "Wang Fang"


def test_fields_left_out_keep_their_value_on_update(api):
    api.post(URL, rows(1), format="json")
    response = api.post(URL, [{"external_id": "B-0", "full_name": "New Name", "region": "CN-31"}], format="json")
    assert response.json() == {"created": 0, "updated": 1}
    b = Borrower.objects.get(external_id="B-0")
    assert b.full_name == "New Name" and b.address == "1 Nanjing Rd, Shanghai" and b.phones.count() == 1
    assert b.national_id_last4 == "0000"


def test_a_third_party_the_log_refers_to_is_kept_after_the_listed_ones(api):
    api.post(URL, rows(1), format="json")
    tp = ThirdParty.objects.get()
    contact = api.post(
        "/api/v1/contacts/",
        {"borrower": "B-0", "channel": "call", "direction": "inbound", "party": "third_party", "third_party": tp.pk},
        format="json",
    )
    assert contact.status_code == 201, contact.json()
    payload = rows(1)
    payload[0]["third_parties"] = [{"name": "Someone Else", "relationship": "relative"}]
    response = api.post(URL, payload, format="json")
    assert response.status_code == 200, response.json()
    names = list(Borrower.objects.get().third_parties.values_list("name", "position"))
    assert names == [("Someone Else", 0), ("Ref 0", 1)]


def test_all_or_nothing_with_the_row_and_field_named(api):
    api.post(URL, rows(2), format="json")
    before = (Borrower.objects.count(), Phone.objects.count(), Borrower.history.count())
    payload = rows(20, start=2)
    payload[0]["full_name"] = "Changed"
    payload[12]["region"] = "XX-99"
    payload[15]["phones"] = [{"number": "not a number"}]
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    errors = response.json()["borrowers"]
    assert set(errors) == {"12", "15"}
    assert "region" in errors["12"]
    assert "phones" in errors["15"]
    assert (Borrower.objects.count(), Phone.objects.count(), Borrower.history.count()) == before


def test_a_repeated_external_id_is_refused_naming_both_rows(api):
    payload = rows(3)
    payload[2]["external_id"] = "B-0"
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "row 0" in response.json()["borrowers"]["2"]["external_id"][0]
    assert not Borrower.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"borrowers": "x"}, "Send a list"), ([], "at least one"), ({"nope": []}, "Send a list")],
)
def test_bad_shapes_are_400(api, payload, message):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["borrowers"][0]


def test_more_than_10000_is_400(api):
    response = api.post(URL, [{"external_id": "x"}] * 10_001, format="json")
    assert response.status_code == 400 and "at most" in response.json()["borrowers"][0]


def test_platforms_are_isolated(api, other_api):
    api.post(URL, rows(2), format="json")
    response = other_api.post(URL, rows(2), format="json")
    assert response.json() == {"created": 2, "updated": 0}
    assert Borrower.objects.count() == 4


def test_anonymous_is_401(anon_api):
    assert anon_api.post(URL, rows(1), format="json").status_code == 401


def test_a_borrower_is_still_readable_and_the_list_still_works(api):
    api.post(URL, rows(2), format="json")
    assert api.get("/api/v1/borrowers/").json()["count"] == 2
