"""Schema-driven fuzzing of the platform API against the project's own OpenAPI schema (/api/schema/).

Schemathesis generates valid and invalid requests for every operation in the schema and calls the app
in-process through WSGI, in the test's transaction, and runs every one of its checks on each response:
no 5xx (API.md: "No input makes the API answer 5xx"), every status, content type and header documented,
every documented body matching its schema, requests the schema forbids refused, requests it allows
accepted, no answer without authentication. Any finding fails the test.

What the schema cannot say: a request the schema allows may still be refused with a 400 where the API's
rules depend on stored data, on today or on other fields (POSITIVE_MAY_BE_REFUSED names each operation
and why), and the gate may block an outreach action (422). References in valid requests name objects that
exist (`_aim_at_real_objects`), so those are refused only for the rule, not for an unknown name.

Bounded and deterministic, so the suite stays fast and cannot flake: the examples, coverage (boundary values,
missing fields, wrong types for every parameter) and fuzzing phases, 20 fuzzed examples per operation,
derandomized, no example database, the clock frozen; about a minute on one core. `FUZZ_MAX_EXAMPLES=100`
fuzzes more, `FUZZ_COVERAGE=0` skips the coverage phase.
"""

from __future__ import annotations

import datetime as dt
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from config.wsgi import application
from tests import factories
from webhooks.models import EventType, WebhookEvent

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("fuzz")]

# 11:00 in Shanghai, where the world's borrower lives: inside the hours the gate allows calls.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))

# Operations where a request the schema allows may still be a 400, and why (JSON Schema cannot say it).
POSITIVE_MAY_BE_REFUSED = {
    "POST /api/v1/borrowers/": "phone numbers valid for their country (E.164), a date of birth not in the future, "
    "an IANA time zone, no number or address listed twice, an external_id not taken, a region ISO 3166-2 lists "
    "(the schema gives the code's form, not the 5,000 codes)",
    "PATCH /api/v1/borrowers/{external_id}/": "as for POST /borrowers/",
    "POST /api/v1/borrowers/bulk/": "as for POST /borrowers/, per row",
    "POST /api/v1/borrowers/{external_id}/holds/": "the end after the start",
    "PATCH /api/v1/holds/{id}/": "the end after the hold's start",
    "POST /api/v1/borrowers/{external_id}/opt-outs/": "`to` a number for calls and SMS, an address for e-mail",
    "POST /api/v1/loans/": "installments due after the disbursement, unique installment numbers, something due "
    "in each; a schedule that payments already reached cannot change",
    "POST /api/v1/loans/bulk/": "as for POST /loans/, per row",
    "POST /api/v1/payments/": "the loan's currency; an external_id not recorded with other content",
    "POST /api/v1/payments/bulk/": "as for POST /payments/, per row; an external_id once in the request",
    "POST /api/v1/cases/{id}/promises/": "a due date from today on, an open case",
    "POST /api/v1/cases/{id}/plans/": "the fields each kind of plan needs, a first due date from today on, the "
    "loan's balance and the proposer's limits",
    "POST /api/v1/plans/{id}/approve/": "the plan's status and who proposed it",
    "POST /api/v1/plans/{id}/reject/": "the plan's status, a reason",
    "POST /api/v1/plans/{id}/cancel/": "the plan's status",
    "POST /api/v1/compliance/check/": "a third party of this borrower for party=third_party, a loan of this borrower",
    "POST /api/v1/contacts/": "as for the check; `at` at most 5 minutes ahead (the gate may also block: 422)",
    "POST /api/v1/contacts/{id}/outcome/": "a pending outbound contact",
    "POST /api/v1/loans/{external_id}/pauses/": "no overlap with another pause of the loan, the end not before "
    "the start",
    "PATCH /api/v1/pauses/{id}/": "the end not before the pause's start, no overlap with another pause",
    "POST /api/v1/loans/{external_id}/write-off/": "an open case with something outstanding, a day not in the future",
    "POST /api/v1/cases/{id}/legal-proceedings/": "a step after the case's current one, a start not in the future, "
    "a next date from the start on",
    "PATCH /api/v1/legal-proceedings/{id}/": "a step not ended, an outcome the step can have, dates from its start on",
}
DEFAULT_POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # The API refuses NUL in text (PostgreSQL cannot store it): a string with one is never valid.
            "allow-x00": False,
        },
        "phases": {
            # Boundary values, missing fields, wrong types for every parameter: about half the run's time.
            "coverage": {"enabled": os.environ.get("FUZZ_COVERAGE", "1") == "1"},
            "stateful": {"enabled": False},
        },
        "operations": [
            {
                "include-name": name,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*DEFAULT_POSITIVE_STATUSES, "400"]
                        + (["422"] if name == "POST /api/v1/contacts/" else [])
                    }
                },
            }
            for name in POSITIVE_MAY_BE_REFUSED
        ],
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


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def world(platform) -> dict[str, Any]:
    """Some of everything, so that requests naming real objects reach the code behind the 404s."""
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    factories.EmailFactory(borrower=borrower)
    third_party = factories.ThirdPartyFactory(borrower=borrower)
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1")
    factories.InstallmentFactory(loan=loan, seq=1)
    case = factories.CaseFactory(loan=loan)
    hold = factories.HoldFactory(borrower=borrower)
    event = WebhookEvent.objects.create(platform=platform, type=EventType.CASE_OPENED, payload={"case": case.pk})
    # Another platform's objects under the same names: a request reaching them must answer 404.
    other = factories.BorrowerFactory(external_id="B-2")
    factories.CaseFactory(loan=factories.LoanFactory(borrower=other, external_id="L-2"))
    return {"platform": platform, "case": case, "hold": hold, "event": event, "third_party": third_party}


def _coin(value: Any) -> bool:
    """A deterministic coin flip from the generated value: half the cases keep the random value."""
    return zlib.crc32(repr(value).encode()) % 2 == 0


def _valid_at(case: schemathesis.Case, location: ParameterLocation) -> bool:
    """Whether this part of the request was generated valid: only those are aimed (an invalid one stays
    invalid, or a refusal the check expects would turn into a success it does not)."""
    return case.meta is None or not case.meta.is_negative_at(location)


def _aim_at_real_objects(case: schemathesis.Case, world: dict[str, Any]) -> None:
    """Point valid ids and references at objects that exist.

    Random ids almost always answer 404 before any interesting code runs; real ones reach serializers,
    services and the gate with the fuzzed body. Half of the valid path ids stay random (the 404s);
    references in a valid body always name real objects (an unknown one is a 400 the schema cannot
    foresee).
    """
    path = case.operation.path
    params = case.path_parameters or {}
    if _valid_at(case, ParameterLocation.PATH):
        if "external_id" in params and _coin(params["external_id"]):
            params["external_id"] = "L-1" if path.startswith("/api/v1/loans/") else "B-1"
        if "id" in params and _coin(params["id"]):
            if path.startswith("/api/v1/cases/"):
                params["id"] = world["case"].pk
            elif path.startswith("/api/v1/holds/"):
                params["id"] = world["hold"].pk
        if "event_id" in params and _coin(params["event_id"]):
            params["event_id"] = str(world["event"].event_id)
    if isinstance(case.body, dict) and _valid_at(case, ParameterLocation.BODY):
        for field, real in (("borrower", "B-1"), ("loan", "L-1")):
            if isinstance(case.body.get(field), str):
                case.body[field] = real
        if isinstance(case.body.get("third_party"), int):
            case.body["third_party"] = world["third_party"].pk
        if case.method == "PATCH" and path == "/api/v1/borrowers/{external_id}/" and "external_id" in case.body:
            case.body["external_id"] = params.get("external_id")  # may be repeated, not changed
        if path == "/api/v1/loans/bulk/":
            for row in case.body.get("loans") or []:
                if isinstance(row, dict) and isinstance(row.get("borrower"), str):
                    row["borrower"] = "B-1"
        if path == "/api/v1/payments/bulk/":
            for row in case.body.get("payments") or []:
                if isinstance(row, dict) and isinstance(row.get("loan"), str):
                    row["loan"] = "L-1"


def test_every_schemathesis_check_is_on():
    load_all_checks()
    names = CHECKS.get_all_names()
    assert {"negative_data_rejection", "positive_data_acceptance", "ignored_auth", "unsupported_method"} <= set(names)
    assert all(getattr(CONFIG.projects.default.checks, name).enabled for name in names)


@schema.parametrize()
# world is function-scoped on purpose: each operation starts from the same data, shared by its examples.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_passes_every_schemathesis_check(case, world):
    _aim_at_real_objects(case, world)
    # No `checks=`: every check schemathesis has, as configured in CONFIG.
    case.call_and_validate(headers={"Authorization": f"Token {world['platform'].plain_api_key}"})
