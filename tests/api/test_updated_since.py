"""?updated_since= on GET /loans/ and GET /cases/: ISO 8601, compared in UTC, for incremental sync."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case, Loan
from tests import factories

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def data(platform, other_platform):
    made = {}
    for name, hours in (("old", -5), ("edge", 0), ("new", 5)):
        borrower = factories.BorrowerFactory(platform=platform, external_id=f"B-{name}")
        loan = factories.LoanFactory(borrower=borrower, platform=platform, external_id=f"L-{name}")
        case = factories.CaseFactory(loan=loan)
        Loan.objects.filter(pk=loan.pk).update(updated_at=T0 + dt.timedelta(hours=hours))
        Case.objects.filter(pk=case.pk).update(updated_at=T0 + dt.timedelta(hours=hours))
        made[name] = case
    other = factories.LoanFactory(
        borrower=factories.BorrowerFactory(platform=other_platform), platform=other_platform, external_id="L-other"
    )
    Loan.objects.filter(pk=other.pk).update(updated_at=T0 + dt.timedelta(hours=9))
    return made


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-03-01T12:00:00Z", {"L-edge", "L-new"}),
        ("2026-03-01T20:00:00+08:00", {"L-edge", "L-new"}),  # the same instant with an offset
        ("2026-03-01T12:00:01+00:00", {"L-new"}),
        ("2026-02-28T22:00:00-18:06", {"L-new"}),  # an offset PostgreSQL could not hold: compared in UTC
        ("2026-02-01T00:00:00Z", {"L-old", "L-edge", "L-new"}),
    ],
)
def test_loans_updated_since(api, data, since, expected):
    response = api.get("/api/v1/loans/", {"updated_since": since})
    assert response.status_code == 200, response.json()
    assert {r["external_id"] for r in response.json()["results"]} == expected


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-03-01T12:00:00Z", {"edge", "new"}),
        ("2026-03-01T07:00:01-05:00", {"new"}),
        ("2026-01-01T00:00:00Z", {"old", "edge", "new"}),
    ],
)
def test_cases_updated_since(api, data, since, expected):
    response = api.get("/api/v1/cases/", {"updated_since": since})
    assert response.status_code == 200, response.json()
    assert {r["id"] for r in response.json()["results"]} == {data[name].pk for name in expected}


def test_it_combines_with_other_filters(api, data):
    response = api.get("/api/v1/cases/", {"updated_since": "2026-01-01T00:00:00Z", "borrower": "B-new"})
    assert [r["id"] for r in response.json()["results"]] == [data["new"].pk]


@pytest.mark.parametrize("url", ["/api/v1/loans/", "/api/v1/cases/"])
@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00Z", "2026-03-01T00:00:00+99:00"])
def test_a_malformed_time_is_400(api, data, url, bad):
    response = api.get(url, {"updated_since": bad})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_another_platforms_rows_never_show(api, data):
    response = api.get("/api/v1/loans/", {"updated_since": "2000-01-01T00:00:00Z"})
    assert "L-other" not in {r["external_id"] for r in response.json()["results"]}
