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
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/promises/",
    ]:
        assert path in paths, path
    payment = paths["/api/v1/payments/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" and p["required"] for p in payment["parameters"])
    assert "201" in payment["responses"] and "409" in payment["responses"]
    assert "201" in paths["/api/v1/borrowers/"]["post"]["responses"]
    assert "platformToken" in schema["components"]["securitySchemes"]
    assert client.get("/api/docs/").status_code == 200
