"""GET /cases/{id}/ adds the risk score and each factor's points (issue 18 item 1), as the refresh scored them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import Case
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_case_says_why_its_segment(api, platform):
    borrower = factories.BorrowerFactory(platform=platform)
    loan = factories.LoanFactory(borrower=borrower, platform=platform)
    factories.InstallmentFactory(
        loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=45), principal_due=Decimal("12000.00")
    )
    refresh_delinquency(loan_ids=[loan.pk])
    case = Case.objects.get(loan=loan)

    body = api.get(f"/api/v1/cases/{case.pk}/").json()

    assert body["risk_factors"]["dpd"] == {"points": 25, "dpd": 45}
    assert body["risk_factors"]["payment_history"] == {"points": 10, "paid_recently": False, "ever_paid": False}
    assert body["risk_score"] == sum(f["points"] for f in body["risk_factors"].values())
    assert body["risk_segment"] == "high"
