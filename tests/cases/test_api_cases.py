from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from repayment_plans.models import Promise
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases/"
FIELDS = {
    "id", "loan", "borrower", "status", "stage", "dpd", "overdue_amount", "risk_segment", "assigned_to",
    "agency", "next_action_at",
}  # fmt: skip


@pytest.fixture
def case(platform, collector, agency):
    borrower = factories.BorrowerFactory(platform=platform, external_id="B-1", timezone="Asia/Shanghai")
    loan = factories.LoanFactory(borrower=borrower, external_id="L-1")
    return factories.CaseFactory(
        loan=loan,
        stage="m1",
        dpd=10,
        overdue_amount=Decimal("1060.00"),
        assigned_to=collector,
        agency=agency,
        next_action_at=dt.datetime(2026, 1, 2, 1, 0, tzinfo=dt.UTC),
    )


@pytest.fixture
def other_case(other_platform):
    return factories.CaseFactory(
        loan=factories.LoanFactory(borrower=factories.BorrowerFactory(platform=other_platform))
    )


def test_detail_has_exactly_the_contract_fields(api, case):
    r = api.get(f"{URL}{case.pk}/")
    assert r.status_code == 200
    assert r.json() == {
        "id": case.pk,
        "loan": "L-1",
        "borrower": "B-1",
        "status": "open",
        "stage": "m1",
        "dpd": 10,
        "overdue_amount": "1060.00",
        "risk_segment": "low",
        "assigned_to": "collector",
        "agency": "Acme Recoveries",
        "next_action_at": "2026-01-02T01:00:00+00:00",
    }


def test_unassigned_case_renders_nulls(api, platform):
    c = factories.CaseFactory(loan=factories.LoanFactory(borrower=factories.BorrowerFactory(platform=platform)))
    body = api.get(f"{URL}{c.pk}/").json()
    assert set(body) == FIELDS
    assert body["assigned_to"] is None and body["agency"] is None and body["next_action_at"] is None


def test_list_filters(api, case, platform):
    b2 = factories.BorrowerFactory(platform=platform, external_id="B-2")
    factories.CaseFactory(loan=factories.LoanFactory(borrower=b2), stage="m3", dpd=70, status="closed")
    body = api.get(URL).json()
    assert body["count"] == 2 and set(body["results"][0]) == FIELDS
    assert [c["borrower"] for c in api.get(URL, {"borrower": "B-1"}).json()["results"]] == ["B-1"]
    assert [c["stage"] for c in api.get(URL, {"stage": "m3"}).json()["results"]] == ["m3"]
    assert [c["id"] for c in api.get(URL, {"status": "open"}).json()["results"]] == [case.pk]
    assert api.get(URL, {"stage": "m9"}).status_code == 400
    assert "status" in api.get(URL, {"status": "bogus"}).json()


def test_isolation(api, case, other_case):
    assert api.get(f"{URL}{other_case.pk}/").status_code == 404
    assert [c["id"] for c in api.get(URL).json()["results"]] == [case.pk]
    assert api.get(f"{URL}{other_case.pk}/promises/").status_code == 404
    r = api.post(f"{URL}{other_case.pk}/promises/", {"amount": "10.00", "due_date": "2099-01-01"}, format="json")
    assert r.status_code == 404
    assert not Promise.objects.exists()
    assert api.get(f"{URL}99999999999999999999/").status_code == 404


def test_anonymous_is_401(anon_api, case):
    assert anon_api.get(URL).status_code == 401
    assert anon_api.get(f"{URL}{case.pk}/").status_code == 401


def test_staff_session_sees_cases_by_role(client, admin_user, collector, case, other_case):
    client.force_login(admin_user)
    assert client.get(URL).json()["count"] == 2


# --- promises -------------------------------------------------------------------------------------------------


def test_it_takes_a_promise(api, case, platform):
    due = timezone.now().date() + dt.timedelta(days=3)
    r = api.post(f"{URL}{case.pk}/promises/", {"amount": "500.00", "due_date": str(due)}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert {k: body[k] for k in ("case", "amount", "due_date", "status")} == {
        "case": case.pk,
        "amount": "500.00",
        "due_date": str(due),
        "status": "pending",
    }
    assert isinstance(body["id"], int) and body["created_at"]
    promise = Promise.objects.get()
    assert promise.created_by_platform == platform
    assert promise.history.count() == 1
    listed = api.get(f"{URL}{case.pk}/promises/").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0"),
        ("amount", "-1"),
        ("amount", "abc"),
        ("amount", None),
        ("due_date", "2000-01-01"),
        ("due_date", "not a date"),
        ("due_date", None),
    ],
)
def test_bad_promises_are_400(api, case, field, value):
    body = {"amount": "100.00", "due_date": "2099-01-01", field: value}
    r = api.post(f"{URL}{case.pk}/promises/", body, format="json")
    assert r.status_code == 400 and field in r.json()
    assert not Promise.objects.exists()


def test_a_closed_case_takes_no_promise(api, case):
    case.status = "closed"
    case.save()
    r = api.post(f"{URL}{case.pk}/promises/", {"amount": "1.00", "due_date": "2099-01-01"}, format="json")
    assert r.status_code == 400 and "case" in r.json()
    assert not Promise.objects.exists()
