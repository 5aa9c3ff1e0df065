from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Case, Installment, Loan
from tests import factories

from .helpers import loan_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/loans/"


@pytest.fixture
def borrower(platform):
    return factories.BorrowerFactory(platform=platform, external_id="B-1")


def test_it_creates_a_loan_and_opens_a_case(api, borrower):
    r = api.post(URL, loan_payload(), format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) >= {
        "external_id", "borrower", "product", "currency", "principal", "annual_rate", "disbursed_on",
        "statute_limitations_date", "installments", "outstanding", "overdue_amount", "dpd", "stage", "case",
    }  # fmt: skip
    assert body["borrower"] == "B-1"
    assert body["principal"] == "3000.00"
    assert body["currency"] == "CNY"
    assert [i["seq"] for i in body["installments"]] == [1, 2, 3]
    assert body["installments"][0]["principal_due"] == "1000.00"
    # the delinquency refresh ran: 2 installments overdue, the oldest 40 days
    assert body["outstanding"] == "3110.00"
    assert body["overdue_amount"] == "2095.00"
    assert body["dpd"] == 40
    assert body["stage"] == "m2"
    case = Case.objects.get(loan__external_id="L-1", status="open")
    assert body["case"] == case.pk
    loan = Loan.objects.get()
    assert loan.history.count() >= 1
    assert Installment.history.filter(loan_id=loan.pk).count() == 3


def test_a_current_loan_has_no_case(api, borrower):
    today = timezone.now().date()
    payload = loan_payload(
        installments=[{"seq": 1, "due_date": str(today + dt.timedelta(days=30)), "principal_due": "3000.00"}]
    )
    body = api.post(URL, payload, format="json").json()
    assert body["case"] is None
    assert body["dpd"] == 0
    assert body["stage"] == "pre_due"


def test_posting_a_known_external_id_updates_it_with_200(api, borrower):
    api.post(URL, loan_payload(), format="json")
    payload = loan_payload(principal="3100.00")
    payload["installments"][2]["principal_due"] = "1100.00"
    payload["installments"].append(
        {"seq": 4, "due_date": str(timezone.now().date() + dt.timedelta(days=50)), "principal_due": "10.00"}
    )
    r = api.post(URL, payload, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["principal"] == "3100.00"
    assert [i["principal_due"] for i in r.json()["installments"]] == ["1000.00", "1000.00", "1100.00", "10.00"]
    assert Loan.objects.count() == 1
    assert r.json()["outstanding"] == "3220.00"


def test_an_installment_with_payments_cannot_be_changed_or_removed(api, borrower):
    api.post(URL, loan_payload(), format="json")
    api.post(
        "/api/v1/payments/",
        {"external_id": "P-1", "loan": "L-1", "amount": "5.00", "paid_at": timezone.now().isoformat()},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    changed = loan_payload()
    changed["installments"][0]["fee_due"] = "20.00"
    r = api.post(URL, changed, format="json")
    assert r.status_code == 400 and "installments" in r.json()
    removed = loan_payload()
    removed["installments"] = removed["installments"][1:]
    r = api.post(URL, removed, format="json")
    assert r.status_code == 400 and "installments" in r.json()
    assert Installment.objects.get(seq=1).fee_due == Decimal("10.00")
    # unpaid ones can still change
    ok = loan_payload()
    ok["installments"][2]["interest_due"] = "0.00"
    assert api.post(URL, ok, format="json").status_code == 200


def _without(payload, field):
    payload = copy.deepcopy(payload)
    del payload[field]
    return payload


BAD = [
    ("borrower", "B-404"),
    ("borrower", None),
    ("currency", "cny"),
    ("currency", "XYZ"),
    ("currency", "CNYY"),
    ("principal", "-1.00"),
    ("principal", "0"),
    ("principal", "1.001"),
    ("principal", "1e30"),
    ("principal", "abc"),
    ("principal", True),
    ("principal", None),
    ("principal", "NaN"),
    ("principal", "Infinity"),
    ("product", "car"),
    ("annual_rate", "-0.1"),
    ("disbursed_on", "yesterday"),
    ("disbursed_on", "2024-02-30"),
    ("statute_limitations_date", "1999-01-01"),
    ("installments", []),
    ("installments", "none"),
    ("installments", [{"seq": 1, "due_date": "2030-01-01"}]),
    ("installments", [{"seq": 0, "due_date": "2030-01-01", "principal_due": "1.00"}]),
    ("installments", [{"seq": 10**20, "due_date": "2030-01-01", "principal_due": "1.00"}]),
    ("installments", [{"seq": "x", "due_date": "2030-01-01", "principal_due": "1.00"}]),
    ("installments", [{"seq": 1, "due_date": "2030-01-01", "principal_due": "-1.00"}]),
    ("installments", [{"seq": 1, "due_date": "1990-01-01", "principal_due": "1.00"}]),
    (
        "installments",
        [
            {"seq": 1, "due_date": "2030-01-01", "principal_due": "1.00"},
            {"seq": 1, "due_date": "2030-02-01", "principal_due": "1.00"},
        ],
    ),
    ("external_id", ""),
    ("external_id", "x" * 101),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_each_bad_field_is_a_400_naming_it(api, borrower, field, value):
    r = api.post(URL, loan_payload(**{field: value}), format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert Loan.objects.count() == 0


@pytest.mark.parametrize("field", ["external_id", "borrower", "currency", "principal", "disbursed_on", "installments"])
def test_required_fields(api, borrower, field):
    r = api.post(URL, _without(loan_payload(), field), format="json")
    assert r.status_code == 400 and field in r.json()


def test_get_list_and_isolation(api, other_api, borrower, other_platform):
    api.post(URL, loan_payload(), format="json")
    other_borrower = factories.BorrowerFactory(platform=other_platform, external_id="B-1")
    factories.LoanFactory(borrower=other_borrower, external_id="L-OTHER")
    assert api.get(f"{URL}L-1/").status_code == 200
    assert api.get(f"{URL}L-OTHER/").status_code == 404
    assert other_api.get(f"{URL}L-1/").status_code == 404
    body = api.get(URL).json()
    assert body["count"] == 1 and body["results"][0]["external_id"] == "L-1"
    # a loan may not be attached to another platform's borrower
    r = api.post(URL, loan_payload(external_id="L-2", borrower="B-404"), format="json")
    assert r.status_code == 400 and "borrower" in r.json()


def test_anonymous_is_401(anon_api):
    assert anon_api.get(URL).status_code == 401
    assert anon_api.post(f"{URL}bulk/", [], format="json").status_code == 401


# --- bulk ------------------------------------------------------------------------------------------------


def test_bulk_creates_and_updates_all_rows(api, borrower, platform):
    factories.BorrowerFactory(platform=platform, external_id="B-2")
    api.post(URL, loan_payload(external_id="L-0", borrower="B-2"), format="json")
    rows = [loan_payload(external_id=f"L-{i}", borrower="B-1" if i % 2 else "B-2") for i in range(50)]
    r = api.post(f"{URL}bulk/", {"loans": rows}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json() == {"created": 49, "updated": 1}
    assert Loan.objects.count() == 50
    assert Installment.objects.count() == 150
    assert Case.objects.filter(status="open").count() == 50
    loan = Loan.objects.get(external_id="L-7")
    assert loan.borrower.external_id == "B-1" and loan.dpd == 40 and loan.outstanding == Decimal("3110.00")
    assert Loan.history.filter(external_id="L-7").count() == 1
    assert Installment.history.filter(loan_id=loan.pk).count() == 3


def test_bulk_accepts_a_bare_list(api, borrower):
    r = api.post(f"{URL}bulk/", [loan_payload(external_id="L-A"), loan_payload(external_id="L-B")], format="json")
    assert r.status_code == 200
    assert Loan.objects.count() == 2


def test_bulk_with_one_bad_row_writes_nothing_and_names_the_row(api, borrower):
    rows = [loan_payload(external_id=f"L-{i}") for i in range(20)]
    rows[12]["principal"] = "-5"
    r = api.post(f"{URL}bulk/", {"loans": rows}, format="json")
    assert r.status_code == 400
    assert list(r.json()["loans"]) == ["12"]
    assert "principal" in r.json()["loans"]["12"]
    assert Loan.objects.count() == 0


def test_bulk_unknown_borrower_and_repeated_ids_are_named(api, borrower):
    rows = [
        loan_payload(external_id="L-1"),
        loan_payload(external_id="L-2", borrower="B-404"),
        loan_payload(external_id="L-1"),
    ]
    r = api.post(f"{URL}bulk/", rows, format="json")
    assert r.status_code == 400
    errors = r.json()["loans"]
    assert "borrower" in errors["1"]
    assert "external_id" in errors["2"]
    assert Loan.objects.count() == 0 and Installment.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"loans": "x"}, {"loans": []}, "x", None])
def test_bulk_bad_envelopes_are_400(api, body):
    r = api.post(f"{URL}bulk/", body, format="json")
    assert r.status_code == 400
    assert "loans" in r.json() or "non_field_errors" in r.json() or "detail" in r.json()


def test_bulk_over_the_limit_is_400(api, borrower, settings):
    rows = [{"external_id": str(i)} for i in range(10_001)]
    r = api.post(f"{URL}bulk/", rows, format="json")
    assert r.status_code == 400 and "loans" in r.json()


def test_bulk_new_loans_carry_the_refreshs_figures_and_only_those_due_soon_or_behind_get_a_case(api, borrower):
    """New loans get their figures at insert (only loans that need a case go through the refresh): a
    refresh run afterwards must find nothing to change."""
    from cases.delinquency import PRE_DUE_WINDOW_DAYS, refresh_delinquency

    today = timezone.localdate()

    def schedule(*offsets: int) -> list[dict]:
        return [
            {"seq": n, "due_date": str(today + dt.timedelta(days=d)), "principal_due": "500.00", "interest_due": "7.5"}
            for n, d in enumerate(offsets, start=1)
        ]

    def row(external_id: str, *offsets: int) -> dict:
        base = loan_payload(external_id=external_id)
        start = str(today - dt.timedelta(days=200))
        return {**base, "disbursed_on": start, "installments": schedule(*offsets)}

    rows = [
        row("L-FAR", 40, 70),
        row("L-SOON", PRE_DUE_WINDOW_DAYS, 40),
        row("L-TODAY", 0, 30),
        row("L-BEHIND", -45, -15, 15),
    ]
    for r in rows:  # plain amounts, so the fast path and the serializer agree on what was sent
        for item in r["installments"]:
            item["interest_due"] = "7.50"
    r = api.post(f"{URL}bulk/", {"loans": rows}, format="json")
    assert r.status_code == 200, r.json()
    loans = {loan.external_id: loan for loan in Loan.objects.all()}
    assert loans["L-FAR"].outstanding == Decimal("1015.00") and loans["L-FAR"].dpd == 0
    assert loans["L-FAR"].stage == "pre_due" and loans["L-FAR"].overdue_amount == 0
    assert loans["L-BEHIND"].dpd == 45 and loans["L-BEHIND"].stage == "m2"
    assert loans["L-BEHIND"].overdue_amount == Decimal("1015.00")
    open_cases = set(Case.objects.filter(status="open").values_list("loan__external_id", flat=True))
    assert open_cases == {"L-SOON", "L-TODAY", "L-BEHIND"}
    figures = ("outstanding", "overdue_amount", "dpd", "stage")
    before = list(Loan.objects.order_by("id").values_list(*figures))
    again = refresh_delinquency()
    assert again.cases_opened == 0
    assert list(Loan.objects.order_by("id").values_list(*figures)) == before


def test_bulk_upsert_hands_back_loans_as_stored(borrower, platform):
    from cases.services import loans_bulk_upsert

    row = loan_payload(external_id="L-MEM")
    from cases.serializers import LoanInputSerializer

    serializer = LoanInputSerializer(data=row)
    assert serializer.is_valid(), serializer.errors
    loan = loans_bulk_upsert(platform=platform, loans=[serializer.validated_data]).loans[0]
    stored = Loan.objects.get(pk=loan.pk)
    assert loan.created_at is not None
    assert (loan.created_at, loan.updated_at) == (stored.created_at, stored.updated_at)
