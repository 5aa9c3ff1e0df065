"""One-pass outcome (issue 15, item 5): a call outcome of "promise to pay" takes the amount and date in the
same form and creates the promise through repayment_plans.services.promise_create, with the outcome or not
at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import ContactAttempt
from repayment_plans.models import Promise

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _start_call(client, case) -> ContactAttempt:
    point = f"phone:{case.borrower.phones.get().pk}"
    started = client.post(f"/cases/{case.pk}/call/", {"point": point}, **HTMX)
    assert 'id="outcome-promise"' in started.content.decode()  # the promise is asked in the outcome form
    return ContactAttempt.objects.get(case=case)


def test_a_promise_outcome_creates_the_promise_in_one_pass(client, collector, day_case):
    client.force_login(collector)
    contact = _start_call(client, day_case)
    pay_by = timezone.localdate() + dt.timedelta(days=5)

    response = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "promise", "promise_amount": "350.00", "promise_due_date": pay_by.isoformat()},
        **HTMX,
    )

    contact.refresh_from_db()
    assert contact.outcome == "promise"
    promise = Promise.objects.get(case=day_case)
    assert (promise.amount, promise.due_date, promise.created_by) == (Decimal("350.00"), pay_by, collector)
    assert "Outcome and promise recorded." in response.content.decode()


@pytest.mark.parametrize(
    ("posted", "field_error"),
    [
        ({}, "A promise to pay needs the amount."),
        ({"promise_amount": "100"}, "A promise to pay needs the date."),
        ({"promise_amount": "0", "promise_due_date": "2026-01-20"}, "Ensure this value is greater than or equal to"),
    ],
)
def test_a_promise_outcome_without_amount_or_date_records_nothing(client, collector, day_case, posted, field_error):
    client.force_login(collector)
    contact = _start_call(client, day_case)

    response = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/", {"outcome": "promise", **posted}, **HTMX
    )

    contact.refresh_from_db()
    assert contact.is_pending and not Promise.objects.exists()
    html = response.content.decode()
    assert field_error in html
    assert 'id="outcome-form"' in html  # the form again, in place, to correct


def test_a_promise_the_service_refuses_rolls_the_outcome_back(client, collector, day_case):
    client.force_login(collector)
    contact = _start_call(client, day_case)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "promise", "promise_amount": "100", "promise_due_date": yesterday.isoformat()},
        **HTMX,
    )

    contact.refresh_from_db()
    assert contact.is_pending and not Promise.objects.exists()
    assert "The due date lies in the past." in response.content.decode()


def test_other_outcomes_ignore_the_promise_fields(client, collector, day_case):
    client.force_login(collector)
    contact = _start_call(client, day_case)

    client.post(f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/", {"outcome": "no_answer"}, **HTMX)

    contact.refresh_from_db()
    assert contact.outcome == "no_answer" and not Promise.objects.exists()


def test_the_date_field_takes_iso_dates_in_chinese_too(client, collector, day_case):
    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)
    contact = _start_call(client, day_case)
    pay_by = timezone.localdate() + dt.timedelta(days=2)

    client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "promise", "promise_amount": "88.00", "promise_due_date": pay_by.isoformat()},
        **HTMX,
    )

    assert Promise.objects.get(case=day_case).due_date == pay_by
