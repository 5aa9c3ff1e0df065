"""What the read-only case page shows about the loan and the case's history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_shows_the_loan_its_installments_and_the_case_history(client, collector, portfolio):
    case = portfolio.mine
    case.loan.annual_rate = Decimal("0.1825")
    case.loan.save()
    today = timezone.localdate()
    factories.InstallmentFactory(loan=case.loan, seq=1, due_date=today - dt.timedelta(days=45))
    factories.InstallmentFactory(loan=case.loan, seq=2, due_date=today + dt.timedelta(days=15))
    CaseEvent.objects.create(case=case, kind="stage_changed", old_value="m1", new_value="m2", at=timezone.now())
    client.force_login(collector)

    response = client.get(f"/cases/{case.pk}/")

    html = response.content.decode()
    assert "18.25%" in html  # stored as a fraction, read as a percentage
    assert [i.is_overdue for i in response.context["installments"]] == [True, False]
    assert "Not yet due" in html
    # Stage codes in events are shown as the stage names collectors know.
    assert "M1 (1-30 days) → M2 (31-60 days)" in html
