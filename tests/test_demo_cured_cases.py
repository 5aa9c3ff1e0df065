"""The demo's closed, cured M1 cases (the loans seeded as cured and the history's late installments) are
built by one helper, demo.portfolio.cured_m1_case, with the same fields whichever seeds them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Role
from cases.events import case_events_record
from cases.models import Case, CaseEvent, CaseStatus
from demo.portfolio import book_collector, cured_m1_case
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_cured_m1_case_is_closed_cured_with_its_opened_and_closed_events():
    collector = factories.UserFactory(role=Role.COLLECTOR)
    loan = factories.LoanFactory(currency="CNY")
    opened = dt.datetime(2025, 9, 2, 1, 0, tzinfo=dt.UTC)
    cured_at = dt.datetime(2025, 9, 9, 6, 30, tzinfo=dt.UTC)

    cured = cured_m1_case(loan=loan, collector=collector, opened=opened, cured_at=cured_at)
    case_events_record([cured.opened, cured.closed])

    case = Case.objects.get(pk=cured.case.pk)
    assert (case.status, case.stage, case.dpd, case.overdue_amount, case.close_reason) == (
        CaseStatus.CLOSED,
        "m1",
        0,
        Decimal("0.00"),
        "cured",
    )
    assert (case.opened_at, case.closed_at, case.assigned_to) == (opened, cured_at, collector)
    assert case.borrower_id == loan.borrower_id and case.platform_id == loan.platform_id
    events = list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "old_value", "new_value", "at")
    )
    assert events == [
        (CaseEvent.Kind.OPENED, "", "m1", opened),
        (CaseEvent.Kind.CLOSED, "m1", "cured", cured_at),
    ]


def test_the_book_collector_is_the_chinese_collectors_for_cny():
    users = {"collector": factories.UserFactory(role=Role.COLLECTOR), "collector2": factories.UserFactory()}

    assert book_collector(factories.LoanFactory(currency="CNY"), users) == users["collector"]
    assert book_collector(factories.LoanFactory(currency="USD"), users) == users["collector2"]
