"""Bad input gets a clear 400 naming the field (or a 404), never a 5xx (issue 14, items 5-7).

Each test here answered 500 before its fix.
"""

from __future__ import annotations

import json

import pytest

from core.api import MAX_JSON_DEPTH, _walk_depth, json_depth
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(platform):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    factories.EmailFactory(borrower=borrower)
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1")
    factories.InstallmentFactory(loan=loan, seq=1)
    case = factories.CaseFactory(loan=loan)
    return {"borrower": borrower, "loan": loan, "case": case}


# --- a borrower's contact points without their required key ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "item", "key"),
    [
        ("emails", {"kind": "work"}, "address"),
        ("phones", {"kind": "home", "autodial_consent": True}, "number"),
        ("third_parties", {"relationship": "spouse"}, "name"),
    ],
)
def test_patching_a_contact_point_without_its_required_key_is_a_400_naming_it(api, world, field, item, key):
    response = api.patch("/api/v1/borrowers/B-1/", {field: [item]}, format="json")

    assert response.status_code == 400
    assert response.json() == {field: {"0": {key: ["This field is required."]}}}


def test_patching_a_borrower_still_changes_only_what_is_sent(api, world):
    response = api.patch(
        "/api/v1/borrowers/B-1/", {"emails": [{"address": "new@example.com"}], "full_name": "Li Na"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["full_name"] == "Li Na"
    assert [e["address"] for e in body["emails"]] == ["new@example.com"]
    assert [p["number"] for p in body["phones"]] == ["+8613912345678"]


# --- JSON nested too deep ----------------------------------------------------------------------------------

DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, b'{"full_name": ' + DEEP + b"}"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/api/v1/borrowers/"),
        ("PATCH", "/api/v1/borrowers/B-1/"),
        ("POST", "/api/v1/loans/"),
        ("POST", "/api/v1/loans/bulk/"),
        ("POST", "/api/v1/borrowers/bulk/"),
        ("POST", "/api/v1/payments/"),
        ("POST", "/api/v1/compliance/check/"),
        ("POST", "/api/v1/contacts/"),
        ("POST", "/api/v1/ping/"),
    ],
)
def test_json_nested_a_thousand_levels_deep_is_a_400(api, world, method, url, body):
    response = api.generic(method, url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="deep-1")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested" in response.json()["detail"]


def test_json_nested_up_to_the_limit_parses_and_one_more_level_is_a_400(api, world):
    assert MAX_JSON_DEPTH == 32
    deepest = b'{"a": ' * 16 + b"[" * 16 + b'"]}[{"' + b"]" * 16 + b"}" * 16

    assert api.generic("POST", "/api/v1/ping/", deepest, content_type="application/json").status_code == 200
    response = api.generic("POST", "/api/v1/ping/", b"[" + deepest + b"]", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - arrays and objects nested more than 32 levels deep."}


@pytest.mark.parametrize(
    "value",
    [
        1,
        "x",
        [],
        {"loans": [{"installments": [{"seq": 1}]}]},
        {"a": ["[", "{", "]]]", "\\", '\\"[', "中文"], "b": [[[{"c": "}"}]]]},
        [[["\\\\"], [[[["a\\"]]]]]],
    ],
)
def test_the_depth_read_from_the_bytes_is_the_depth_of_the_value(value):
    for ensure_ascii in (True, False):
        raw = json.dumps(value, ensure_ascii=ensure_ascii).encode()
        assert json_depth(raw, value, 32) == _walk_depth(value, 32)
    assert json_depth(json.dumps(value).encode("utf-16"), value, 32, "utf-16") == _walk_depth(value, 32)


# --- an external id PostgreSQL cannot hold -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/borrowers/a%00b/",
        "/api/v1/borrowers/a%00b/holds/",
        "/api/v1/borrowers/a%00b/opt-outs/",
        "/api/v1/loans/a%00b/",
        "/api/v1/cases/?borrower=a%00b",
        "/api/v1/loans/?borrower=a%00b",
        "/api/v1/contacts/?borrower=a%00b",
        "/api/v1/borrowers/?region=a%00b",
    ],
)
def test_a_nul_in_an_external_id_is_a_404_or_400_on_postgresql(api, world, url):
    assert api.get(url).status_code in (400, 404)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/borrowers/a%00b/", {"full_name": "x"}),
        ("/api/v1/borrowers/a%00b/holds/", {"kind": "dispute"}),
        ("/api/v1/borrowers/a%00b/opt-outs/", {"channel": "sms"}),
    ],
)
def test_writing_to_an_external_id_with_a_nul_is_a_404_on_postgresql(api, world, url, body):
    method = api.patch if url.count("/") == 5 else api.post
    assert method(url, body, format="json").status_code == 404


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/compliance/check/", {"borrower": "a\x00b", "channel": "call"}, "borrower"),
        ("/api/v1/compliance/check/", {"borrower": "B-1", "loan": "a\x00b", "channel": "call"}, "loan"),
        ("/api/v1/contacts/", {"borrower": "a\x00b", "channel": "call"}, "borrower"),
        ("/api/v1/borrowers/B-1/holds/", {"kind": "dispute", "loan": "a\x00b"}, "loan"),
        ("/api/v1/borrowers/B-1/opt-outs/", {"channel": "email", "to": "a\x00b@example.com"}, "to"),
    ],
)
def test_a_nul_in_a_referenced_external_id_is_a_400_naming_it_on_postgresql(api, world, url, body, field):
    response = api.post(url, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


# --- absurd limits -----------------------------------------------------------------------------------------

LIST_URLS = [
    "/api/v1/borrowers/",
    "/api/v1/borrowers/B-1/holds/",
    "/api/v1/borrowers/B-1/opt-outs/",
    "/api/v1/loans/",
    "/api/v1/cases/",
    "/api/v1/contacts/",
    "/api/v1/webhooks/events/",
    "/api/v1/cases/{case}/promises/",
    "/api/v1/cases/{case}/plans/",
]


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("query", ["limit=99999999999999999999", "offset=99999999999999999999", "limit=" + "9" * 50])
def test_every_list_is_bounded_whatever_the_limit(api, world, url, query):
    response = api.get(f"{url.format(case=world['case'].pk)}?{query}")

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-5", "offset"),
        ("offset=1.5", "offset"),
    ],
)
def test_a_limit_or_offset_that_is_no_whole_number_in_range_is_a_400_naming_it(api, world, url, query, name):
    response = api.get(f"{url.format(case=world['case'].pk)}?{query}")

    assert response.status_code == 400
    assert response.json() == {name: [f"Enter a whole number of at least {1 if name == 'limit' else 0}."]}


# --- times and dates beyond what the database or Python holds -------------------------------------------


@pytest.mark.parametrize(("url", "field"), [("/api/v1/loans/", "external_id"), ("/api/v1/cases/", "id")])
def test_a_time_filter_beyond_what_utc_holds_means_everything_or_nothing(api, world, url, field):
    """9999-12-31T23:59:59-14:00 is in the year 10000 in UTC: converting it overflowed into a 500."""
    for value in ("9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59-23:59"):
        response = api.get(url, {"updated_since": value})
        assert response.status_code == 200
        assert response.json()["results"] == []
    response = api.get(url, {"updated_since": "0001-01-01T00:00:00+14:00"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert api.get("/api/v1/contacts/", {"since": "9999-12-31T23:59:59-14:00"}).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/borrowers/", "/api/v1/loans/", "/api/v1/cases/", "/api/v1/contacts/"])
@pytest.mark.parametrize("value", ["2026-01-01", "2026-01-01T10:00:00", "2026-01-01 10:00:00Z", "2026-02-30T10:00:00Z"])
def test_a_time_filter_that_is_not_rfc_3339_with_its_offset_is_a_400_naming_it(api, world, url, value):
    name = "since" if "contacts" in url else "updated_since"

    response = api.get(url, {name: value})

    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize("url", ["/api/v1/cases/?stage=&status=&borrower=", "/api/v1/contacts/?borrower=&since="])
def test_an_empty_filter_means_no_filter(api, world, url):
    response = api.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("value", ["yes", "2", "1.5", "none"])
def test_a_boolean_filter_takes_true_or_false_only(api, world, value):
    response = api.get("/api/v1/borrowers/", {"lost_contact": value})

    assert response.status_code == 400
    assert list(response.json()) == ["lost_contact"]
    assert api.get("/api/v1/borrowers/", {"lost_contact": "false"}).json()["count"] == 1


# --- amounts that are not numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "1e-400"])
@pytest.mark.parametrize("field", ["total_amount", "settlement_amount", "fee_amount", "amounts"])
def test_a_plan_amount_that_is_not_a_finite_number_is_a_400_naming_it(api, world, field, value):
    body = {"kind": "installment", "installment_count": 1, "first_due_date": "2099-01-01"}
    body[field] = [value] if field == "amounts" else value
    response = api.post(f"/api/v1/cases/{world['case'].pk}/plans/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-inf", "1e400", "1e-400"])
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/cases/{case}/promises/", {"due_date": "2099-01-01"}, "amount"),
        ("/api/v1/payments/", {"external_id": "P-1", "loan": "L-1", "paid_at": "2026-01-01T00:00:00Z"}, "amount"),
    ],
)
def test_money_that_is_not_a_finite_number_is_a_400_naming_it(api, world, url, body, field, value):
    response = api.post(
        url.format(case=world["case"].pk), {**body, field: value}, format="json", HTTP_IDEMPOTENCY_KEY=f"m-{value}"
    )

    assert response.status_code == 400
    assert field in response.json()


# --- pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("next_url", ["-1", "home", "x", "", "//evil.example/", "https://evil.example/"])
def test_the_language_switch_never_fails_on_its_next(client, collector, next_url):
    client.force_login(collector)
    response = client.post(f"/language/?next={next_url}", {"language": "en", "next": next_url})

    assert response.status_code == 302
    assert "evil" not in response["Location"]


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=9999-12-31",
        "date_from=0001-01-01",
        "date_from=0001-01-01&date_to=9999-12-31",
    ],
)
def test_the_audit_with_dates_beyond_the_calendar_names_the_field(client, supervisor, query):
    client.force_login(supervisor)

    page = client.get(f"/supervision/audit/?{query}")

    assert page.status_code == 200
    field = query.split("=")[0]
    assert page.context["form"].errors[field] == ["Enter a date between 1900 and 9000."]
    assert client.get(f"/supervision/audit/?{query}&export=csv").status_code == 200


def test_quality_sampling_with_a_date_beyond_the_calendar_names_the_field(client, supervisor):
    client.force_login(supervisor)

    page = client.post(
        "/supervision/quality/", {"date_from": "2026-01-01", "date_to": "9999-12-31", "share_percent": 5}
    )

    assert page.status_code == 200
    assert page.context["form"].errors == {"date_to": ["Enter a date between 1900 and 9000."]}


# --- external ids that a URL cannot reach ------------------------------------------------------------------

UNREACHABLE_IDS = [
    "a/b",
    "a b",
    " B-7",
    "B-7 ",
    "a?b",
    "a#b",
    "a%2Fb",
    "a+b",
    "a\tb",
    "a\nb",
    "B-7\n",
    ".",
    "..",
    ".x",
    "",
]
UNREACHABLE_IDS += ["x" * 101, "借款人"]
REACHABLE_IDS = ["B-7", "CN00001-L1-P01A", "a.b:c_d", "7", "-", "x" * 100]


def _create(api, kind: str, external_id: str):
    from tests.api.helpers import borrower_payload, loan_payload

    if kind == "borrower":
        return api.post("/api/v1/borrowers/", borrower_payload(external_id=external_id), format="json")
    if kind == "loan":
        return api.post("/api/v1/loans/", loan_payload(borrower="B-1", external_id=external_id), format="json")
    if kind == "bulk loan":  # the bulk upload's fast path checks plain rows without the serializer
        return api.post("/api/v1/loans/bulk/", [loan_payload(borrower="B-1", external_id=external_id)], format="json")
    if kind == "bulk borrower":
        return api.post("/api/v1/borrowers/bulk/", [borrower_payload(external_id=external_id)], format="json")
    payment = {"external_id": external_id, "loan": "L-1", "amount": "1.00", "paid_at": "2026-01-01T00:00:00Z"}
    return api.post("/api/v1/payments/", payment, format="json", HTTP_IDEMPOTENCY_KEY=f"p-{len(external_id)}")


KINDS = ["borrower", "loan", "bulk loan", "bulk borrower", "payment"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("external_id", UNREACHABLE_IDS)
def test_an_external_id_a_url_cannot_reach_is_a_400_naming_it(api, world, kind, external_id):
    response = _create(api, kind, external_id)

    assert response.status_code == 400
    errors = response.json()
    if kind.startswith("bulk"):
        errors = next(iter(errors.values()))["0"]
    assert "external_id" in errors


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("external_id", REACHABLE_IDS)
def test_an_external_id_of_the_safe_set_is_taken_and_reachable(api, world, kind, external_id):
    response = _create(api, kind, external_id)

    assert response.status_code in (200, 201), response.content[:300]
    if kind in ("borrower", "bulk borrower"):
        assert api.get(f"/api/v1/borrowers/{external_id}/").json()["external_id"] == external_id
    elif kind in ("loan", "bulk loan"):
        assert api.get(f"/api/v1/loans/{external_id}/").json()["external_id"] == external_id


def test_a_borrower_stored_with_an_older_id_can_still_be_patched(api, platform):
    factories.BorrowerFactory(platform=platform, external_id="old id")

    response = api.patch("/api/v1/borrowers/old%20id/", {"external_id": "old id", "full_name": "Li Na"}, format="json")

    assert response.status_code == 200
    assert response.json()["full_name"] == "Li Na"


def test_the_schema_gives_the_external_id_pattern(api):
    schema = api.get("/api/schema/?format=json").json()["components"]["schemas"]
    pattern = "^[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,99}$"

    for name in ("BorrowerInputRequest", "LoanInputRequest", "PaymentInputRequest"):
        assert schema[name]["properties"]["external_id"]["pattern"] == pattern, name
        assert schema[name]["properties"]["external_id"]["maxLength"] == 100


# --- what the schema says, the API takes ---------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_415(api, world):
    response = api.post("/api/v1/borrowers/B-1/opt-outs/", {"channel": "sms"}, format="multipart")

    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/cases/abc/", "/api/v1/nothing/", "/api/v1/holds/1.5/"])
def test_an_api_path_no_route_matches_is_a_json_404(api, url):
    response = api.get(url)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_no_route_matches_is_still_the_sites_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("value", [5, 5.5, True, "5.5.5", " 5.00", "05.00", "5.", ".5", "1e3", "+5.00", "5.001"])
def test_money_is_a_plain_decimal_string(api, world, value):
    url = f"/api/v1/cases/{world['case'].pk}/promises/"
    response = api.post(url, {"amount": value, "due_date": "2099-01-01"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["amount"]


@pytest.mark.parametrize(
    "value", ["2026-01-01", "2026-01-01T10:00:00", "2026-01-01T10:00Z", "2026-01-01 10:00:00Z", "1899-12-31T23:00:00Z"]
)
def test_a_time_in_a_body_is_rfc_3339_with_its_offset_from_1900(api, world, value):
    payment = {"external_id": "P-9", "loan": "L-1", "amount": "1.00", "paid_at": value}

    response = api.post("/api/v1/payments/", payment, format="json", HTTP_IDEMPOTENCY_KEY=f"t-{value}")

    assert response.status_code == 400
    assert list(response.json()) == ["paid_at"]


def test_an_empty_optional_idempotency_key_is_no_key(api, world):
    body = {"borrower": "B-1", "channel": "call", "direction": "inbound"}

    first = api.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="")
    second = api.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
