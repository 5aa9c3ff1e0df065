"""Write-off and the legal path on the platform API (issue 18): a platform writes a loan off and reads its
recoveries, opens the steps of a case's legal path and records their outcomes; bad input is a 400 naming
the field, retries are harmless, another platform's rows do not exist, the schema documents the paths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import Case, CaseStatus, LawyerLetter, LegalProceeding, LegalStage, Loan
from cases.services import payment_record
from tests.factories import BorrowerFactory, InstallmentFactory, LoanFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 6, 15, 6, 0, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _case(platform) -> Case:
    borrower = BorrowerFactory(platform=platform, address="1 Main Street", language="en")
    loan = LoanFactory(platform=platform, borrower=borrower)
    InstallmentFactory(
        loan=loan,
        seq=1,
        due_date=DAY - dt.timedelta(days=95),
        principal_due=Decimal("800.00"),
        interest_due=Decimal("0"),
        fee_due=Decimal("0"),
    )
    refresh_delinquency(loan_ids=[loan.pk], today=DAY)
    return Case.objects.select_related("loan").get(loan=loan, status=CaseStatus.OPEN)


def test_a_platform_writes_a_loan_off_and_reads_its_recoveries(api, platform):
    case = _case(platform)
    url = f"/api/v1/loans/{case.loan.external_id}/write-off/"
    before = api.get(url).json()
    assert before["written_off"] is False and before["written_off_on"] is None

    created = api.post(url, {"reason": "uncollectable"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["written_off"], body["written_off_on"], body["written_off_amount"], body["currency"]) == (
        True,
        "2026-06-15",
        "800.00",
        "CNY",
    )
    assert body["recovered_total"] == "0.00"
    # A retry (another reason even) changes nothing and answers the write-off again.
    again = api.post(url, {"reason": "retry"}, format="json")
    assert again.status_code == 200 and again.json() == body
    assert Loan.objects.get(pk=case.loan_id).written_off_amount == Decimal("800.00")

    # A payment after it is a recovery, counted on the write-off.
    payment_record(
        platform=platform, loan=case.loan, external_id="R-1", amount=Decimal("120.00"), paid_at=timezone.now()
    )
    assert api.get(url).json()["recovered_total"] == "120.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "x", "written_off_on": "2026-13-01"}, "written_off_on")],
)
def test_bad_write_off_input_is_a_400_naming_the_field(api, platform, body, field):
    case = _case(platform)
    response = api.post(f"/api/v1/loans/{case.loan.external_id}/write-off/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert Loan.objects.get(pk=case.loan_id).written_off_on is None


def test_a_write_off_in_the_future_is_a_400_on_its_date(api, platform):
    case = _case(platform)
    response = api.post(
        f"/api/v1/loans/{case.loan.external_id}/write-off/",
        {"reason": "x", "written_off_on": "2026-07-01"},
        format="json",
    )
    assert response.status_code == 400 and "written_off_on" in response.json()


def test_a_platform_walks_the_legal_path(api, platform):
    case = _case(platform)
    url = f"/api/v1/cases/{case.pk}/legal-proceedings/"
    referral = {"kind": "referred", "forum": "Fair & Square LLP", "started_on": "2026-06-10", "send_letter": True}
    created = api.post(url, referral, format="json")
    assert created.status_code == 201, created.content
    step = created.json()
    assert (step["case"], step["kind"], step["forum"], step["started_on"], step["outcome"]) == (
        case.pk,
        "referred",
        "Fair & Square LLP",
        "2026-06-10",
        "",
    )
    # The lawyer letter went through the gate and is queued for print.
    (letter,) = step["letters"]
    assert letter["status"] == LawyerLetter.Status.QUEUED_FOR_PRINT and letter["language"] == "en"
    # A retry of the same step answers it again: no second step, no second letter.
    again = api.post(url, referral, format="json")
    assert again.status_code == 200 and again.json()["id"] == step["id"]
    assert LegalProceeding.objects.filter(case=case).count() == 1 and LawyerLetter.objects.count() == 1

    mediation = api.post(
        url, {"kind": "mediation", "forum": "People's Mediation Committee", "reference": "M-7"}, format="json"
    )
    assert mediation.status_code == 201 and mediation.json()["started_on"] == "2026-06-15"
    assert Case.objects.get(pk=case.pk).legal_stage == LegalStage.MEDIATION
    listed = api.get(url).json()["results"]
    assert [s["kind"] for s in listed] == ["mediation", "referred"]
    assert listed[1]["ended_on"] == "2026-06-15"

    # Going back is refused on the field; the mediation settles, which ends the path.
    back = api.post(url, {"kind": "referred", "forum": "Other LLP"}, format="json")
    assert back.status_code == 400 and "kind" in back.json()
    detail = f"/api/v1/legal-proceedings/{mediation.json()['id']}/"
    settled = api.patch(detail, {"outcome": "settled", "ended_on": "2026-06-15"}, format="json")
    assert settled.status_code == 200, settled.content
    assert (settled.json()["outcome"], settled.json()["ended_on"]) == ("settled", "2026-06-15")
    assert Case.objects.get(pk=case.pk).legal_stage == LegalStage.NONE
    # A retry of the outcome answers it again.
    retried = api.patch(detail, {"outcome": "settled", "ended_on": "2026-06-15"}, format="json")
    assert retried.status_code == 200 and retried.json() == settled.json()
    assert api.get(detail).json() == settled.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"forum": "X"}, "kind"),
        ({"kind": "appeal", "forum": "X"}, "kind"),
        ({"kind": "referred"}, "forum"),
        ({"kind": "referred", "forum": "X", "started_on": "2026-07-01"}, "started_on"),
        ({"kind": "referred", "forum": "X", "next_date": "2026-06-01", "started_on": "2026-06-10"}, "next_date"),
    ],
)
def test_bad_legal_input_is_a_400_naming_the_field(api, platform, body, field):
    case = _case(platform)
    response = api.post(f"/api/v1/cases/{case.pk}/legal-proceedings/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not LegalProceeding.objects.exists()


def test_another_platforms_loan_case_and_proceeding_do_not_exist(api, other_api, platform):
    case = _case(platform)
    step = api.post(
        f"/api/v1/cases/{case.pk}/legal-proceedings/", {"kind": "litigation", "forum": "Court"}, format="json"
    ).json()
    assert other_api.get(f"/api/v1/loans/{case.loan.external_id}/write-off/").status_code == 404
    assert (
        other_api.post(f"/api/v1/loans/{case.loan.external_id}/write-off/", {"reason": "x"}, format="json").status_code
        == 404
    )
    assert other_api.get(f"/api/v1/cases/{case.pk}/legal-proceedings/").status_code == 404
    assert other_api.get(f"/api/v1/legal-proceedings/{step['id']}/").status_code == 404
    assert (
        other_api.patch(f"/api/v1/legal-proceedings/{step['id']}/", {"outcome": "withdrawn"}, format="json").status_code
        == 404
    )


def test_the_schema_documents_the_new_paths(anon_api):
    paths = anon_api.get("/api/schema/?format=json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/loans/{external_id}/write-off/"])
    assert {"get", "post"} <= set(paths["/api/v1/cases/{id}/legal-proceedings/"])
    assert {"get", "patch"} <= set(paths["/api/v1/legal-proceedings/{id}/"])
