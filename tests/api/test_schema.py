from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_schema_and_docs_answer_200(client):
    r = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    schema = r.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/borrowers/",
        "/api/v1/borrowers/{external_id}/",
        "/api/v1/borrowers/{external_id}/holds/",
        "/api/v1/borrowers/{external_id}/opt-outs/",
        "/api/v1/holds/{id}/",
        "/api/v1/loans/",
        "/api/v1/loans/bulk/",
        "/api/v1/loans/{external_id}/",
        "/api/v1/payments/",
        "/api/v1/payments/bulk/",
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/promises/",
    ]:
        assert path in paths, path
    payment = paths["/api/v1/payments/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in payment["parameters"])
    assert "201" in payment["responses"] and "409" in payment["responses"]
    bulk_payments = paths["/api/v1/payments/bulk/"]["post"]
    assert {"201", "400", "409", "413"} <= set(bulk_payments["responses"])
    assert "201" in paths["/api/v1/borrowers/"]["post"]["responses"]
    assert "platformToken" in schema["components"]["securitySchemes"]
    assert client.get("/api/docs/").status_code == 200


def test_every_operation_documents_the_errors_it_may_answer(client):
    """401, 403 and 429 everywhere; 400 where there is input; 404 where the path names an object; 409, 413 and
    415 where there is a body (core.schema.ApiAutoSchema); each with its JSON body."""
    schema = client.get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            locations = {p["in"] for p in operation.get("parameters", [])}
            expected = {"401", "403", "429"}
            if "requestBody" in operation or locations & {"query", "header"}:
                expected.add("400")
            if "path" in locations:
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"409", "413", "415"}
            assert expected <= codes, (method, path, expected - codes)
            for code in expected - {"409"}:
                assert operation["responses"][code]["content"]["application/json"]["schema"], (method, path, code)
    assert set(schema["paths"]["/api/v1/contacts/"]["post"]["responses"]) >= {"201", "422"}
    # JSON in: no form or multipart body is described (nor read: 415), except the providers' callbacks,
    # where Twilio posts forms (outreach.api).
    bodies = {
        path: op["requestBody"] for path, ops in schema["paths"].items() for op in ops.values() if "requestBody" in op
    }
    form = {"application/json", "application/x-www-form-urlencoded"}
    assert bodies and all(
        set(body["content"]) == (form if path.startswith("/api/v1/providers/") else {"application/json"})
        for path, body in bodies.items()
    )


def test_the_schema_says_what_the_fields_take(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    payment = components["PaymentInputRequest"]["properties"]
    assert payment["amount"] == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^(?:[1-9]\d{0,11}(?:\.\d{1,2})?|0\.(?:[1-9]\d{0,1}|0[1-9]))$",
        "example": "1234.56",
    }
    assert payment["paid_at"]["format"] == "date-time" and payment["paid_at"]["pattern"] == "^(?:19|[2-8]\\d)\\d\\d-"
    assert payment["currency"]["allOf"] == [{"$ref": "#/components/schemas/CurrencyEnum"}]
    assert "CNY" in components["CurrencyEnum"]["enum"] and "XXX" not in components["CurrencyEnum"]["enum"]
    # Regions: the code's form (any of ISO 3166-2's 5,000 codes), not an enum of them.
    assert components["BorrowerInputRequest"]["properties"]["region"]["pattern"] == r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$"
    assert components["LoanBulkInputRequest"]["properties"]["loans"]["minItems"] == 1
    assert components["LoanInputRequest"]["properties"]["installments"]["minItems"] == 1
    assert components["BorrowerBulkInputRequest"]["properties"]["borrowers"]["minItems"] == 1
