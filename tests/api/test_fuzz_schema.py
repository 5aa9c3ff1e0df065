"""Schema-driven fuzzing of the platform API against the project's own OpenAPI schema (/api/schema/).

Schemathesis generates valid and invalid requests for every operation in the schema and calls the app
in-process through WSGI, in the test's transaction. Two properties are checked on every response:
no 5xx (API.md: "No input makes the API answer 5xx"), and a documented response matches its schema.

Bounded so the suite stays fast: examples and fuzzing phases, 20 examples per operation, deterministic.
The coverage phase (boundary values, missing fields, wrong types for every parameter) is far slower;
run it on demand with `FUZZ_COVERAGE=1`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests import factories
from webhooks.models import EventType, WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("fuzz")]

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {
            "coverage": {"enabled": os.environ.get("FUZZ_COVERAGE") == "1"},
            "stateful": {"enabled": False},
        },
    }
)
# Loaded at collection, in-process through the WSGI app: serving the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Serve the WSGI calls on the test's own connection, as django.test.Client does.

    The handler fires request_started/finished, whose close_old_connections would close the
    connection mid-transaction on PostgreSQL (SQLite's in-memory test database ignores the close).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(platform) -> dict[str, Any]:
    """Some of everything, so that requests naming real objects reach the code behind the 404s."""
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    factories.EmailFactory(borrower=borrower)
    factories.ThirdPartyFactory(borrower=borrower)
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1")
    factories.InstallmentFactory(loan=loan, seq=1)
    case = factories.CaseFactory(loan=loan)
    hold = factories.HoldFactory(borrower=borrower)
    event = WebhookEvent.objects.create(platform=platform, type=EventType.CASE_OPENED, payload={"case": case.pk})
    # Another platform's objects under the same names: a request reaching them must answer 404.
    other = factories.BorrowerFactory(external_id="B-2")
    factories.CaseFactory(loan=factories.LoanFactory(borrower=other, external_id="L-2"))
    return {"platform": platform, "case": case, "hold": hold, "event": event}


def _coin(value: Any) -> bool:
    """A deterministic coin flip from the generated value: half the cases keep the random value."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def _aim_at_real_objects(case: schemathesis.Case, world: dict[str, Any]) -> None:
    """Point half of the generated ids and references at objects that exist.

    Random ids almost always answer 404 before any interesting code runs; real ones reach
    serializers, services and the gate with the fuzzed body.
    """
    path = case.operation.path
    params = case.path_parameters or {}
    if "external_id" in params and _coin(params["external_id"]):
        params["external_id"] = "L-1" if path.startswith("/api/v1/loans/") else "B-1"
    if "id" in params and _coin(params["id"]):
        if path.startswith("/api/v1/cases/"):
            params["id"] = world["case"].pk
        elif path.startswith("/api/v1/holds/"):
            params["id"] = world["hold"].pk
    if "event_id" in params and _coin(params["event_id"]):
        params["event_id"] = str(world["event"].event_id)
    if isinstance(case.body, dict):
        for field, real in (("borrower", "B-1"), ("loan", "L-1")):
            if isinstance(case.body.get(field), str) and _coin(case.body[field]):
                case.body[field] = real


@schema.parametrize()
# world is function-scoped on purpose: each operation starts from the same data, shared by its examples.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_request_gets_a_5xx_and_documented_responses_match_the_schema(case, world):
    _aim_at_real_objects(case, world)
    case.call_and_validate(
        headers={"Authorization": f"Token {world['platform'].plain_api_key}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
