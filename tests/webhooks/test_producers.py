"""Case events from the delinquency refresh, emitted in bulk inside the refresh's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from cases.delinquency import refresh_delinquency
from cases.events import case_data
from cases.events import refresh_webhooks_emit as emit_case_events
from cases.models import Case, Installment
from tests.factories import BorrowerFactory, InstallmentFactory, LoanFactory
from webhooks.models import EventType, WebhookEvent

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)


def _overdue_loan(platform, external_id: str, days_overdue: int):
    borrower = BorrowerFactory(platform=platform, external_id=f"B-{external_id}")
    loan = LoanFactory(borrower=borrower, external_id=external_id, currency="CNY")
    InstallmentFactory(
        loan=loan,
        seq=1,
        due_date=TODAY - dt.timedelta(days=days_overdue),
        principal_due=Decimal("500.00"),
        interest_due=Decimal("0"),
        fee_due=Decimal("0"),
    )
    return loan


def _refresh(today: dt.date = TODAY) -> list[WebhookEvent]:
    """The events the refresh itself wrote (it emits them in its own transaction)."""
    before = set(WebhookEvent.objects.values_list("pk", flat=True))
    refresh_delinquency(today=today)
    return list(WebhookEvent.objects.exclude(pk__in=before).order_by("pk"))


def test_a_refresh_announces_opened_restaged_and_closed_cases(platform, other_platform):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])
    loan = _overdue_loan(platform, "L-1", days_overdue=10)
    _overdue_loan(other_platform, "L-2", days_overdue=10)  # no webhook URL: no events

    [opened] = _refresh()
    case = Case.objects.get(loan=loan)
    assert (opened.platform, opened.type) == (platform, EventType.CASE_OPENED)
    assert opened.payload == {
        "case": case.pk,
        "loan": "L-1",
        "borrower": "B-L-1",
        "status": "open",
        "stage": "m1",
        "dpd": 10,
        "overdue_amount": "500.00",
        "currency": "CNY",
    }

    [restaged] = _refresh(TODAY + dt.timedelta(days=25))
    assert restaged.type == EventType.CASE_STAGE_CHANGED
    assert restaged.payload["case"] == case.pk
    assert (restaged.payload["previous_stage"], restaged.payload["stage"], restaged.payload["dpd"]) == ("m1", "m2", 35)

    Installment.objects.filter(loan=loan).update(principal_paid=Decimal("500.00"))
    [closed] = _refresh(TODAY + dt.timedelta(days=26))
    assert closed.type == EventType.CASE_CLOSED
    assert closed.payload["status"] == "closed"
    assert closed.payload["close_reason"] == "paid_off"
    assert closed.payload["closed_at"] is not None

    # Nothing changed, nothing announced: the refresh is idempotent and so are its events.
    assert _refresh(TODAY + dt.timedelta(days=26)) == []
    assert WebhookEvent.objects.count() == 3
    assert not WebhookEvent.objects.filter(platform=other_platform).exists()


def test_the_events_roll_back_with_a_refresh_that_fails(platform):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])
    _overdue_loan(platform, "L-1", days_overdue=10)

    with pytest.raises(RuntimeError), transaction.atomic():
        refresh_delinquency(today=TODAY)
        raise RuntimeError("a later step of the same job failed")

    assert WebhookEvent.objects.count() == 0
    assert Case.objects.count() == 0


def test_many_cases_opened_at_once_become_one_event_each_in_a_few_queries(platform, django_assert_max_num_queries):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])
    for n in range(30):
        _overdue_loan(platform, f"L-{n}", days_overdue=5 + n)
    with transaction.atomic():
        result = refresh_delinquency(today=TODAY)
    WebhookEvent.objects.all().delete()  # the refresh emitted them already; measure the producer alone

    # Set-based like the refresh: the case query, the platform check and the insert, not 30 of each.
    with django_assert_max_num_queries(6), transaction.atomic():
        events = emit_case_events(result)

    assert len(events) == 30
    assert sorted(e.payload["loan"] for e in events) == sorted(f"L-{n}" for n in range(30))


def test_case_data_matches_the_bulk_payload_for_single_case_producers(platform):
    platform.webhook_url = "http://127.0.0.1:9/hooks"
    platform.save(update_fields=["webhook_url"])
    _overdue_loan(platform, "L-1", days_overdue=10)
    [opened] = _refresh()

    assert case_data(Case.objects.get()) == opened.payload


def test_with_no_platform_subscribed_a_refresh_costs_one_query(platform, django_assert_num_queries):
    for n in range(5):
        _overdue_loan(platform, f"L-{n}", days_overdue=10)
    with transaction.atomic():
        result = refresh_delinquency(today=TODAY)
    assert len(result.opened_case_ids) == 5

    with django_assert_num_queries(1):
        assert emit_case_events(result) == []
