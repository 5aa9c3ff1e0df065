"""The plan proposal form (issue 15, item 8): only the chosen kind's terms, a value left in another kind's
field changes nothing, and the schedule answers to htmx in place."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from repayment_plans.models import Plan

from .conftest import TODAY

pytestmark = pytest.mark.django_db
IN_A_WEEK = TODAY + dt.timedelta(days=7)


def _terms(html: str) -> dict[str, bool]:
    """Each term's wrapper on the page (the field it holds): shown (True) or hidden."""
    terms = {}
    for chunk in html.split('<div class="plan-form__term" ')[1:]:
        head, _sep, rest = chunk.partition(">")
        terms[re.search(r'name="(\w+)"', rest).group(1)] = " hidden" not in head
    return terms


@pytest.fixture
def worked(client, case, collector):
    case.assigned_to = collector
    case.save()
    client.force_login(collector)
    return case


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("installment", {"first_due_date", "installment_count", "frequency", "amounts", "total_amount"}),
        ("deferral", {"first_due_date"}),
        ("settlement", {"first_due_date", "installment_count", "frequency", "amounts", "settlement_amount"}),
        ("waiver", {"first_due_date", "installment_count", "frequency", "amounts", "waive_interest", "waive_fees"}),
    ],
)
def test_the_page_shows_only_the_terms_of_the_chosen_kind(client, worked, kind, shown):
    html = client.post(reverse("plan-new", args=[worked.pk]), {"kind": kind, "action": "preview"}).content.decode()

    terms = _terms(html)
    assert len(terms) == 8
    assert {name for name, visible in terms.items() if visible} == shown


def test_a_new_form_shows_the_installment_plan_s_terms(client, worked):
    terms = _terms(client.get(reverse("plan-new", args=[worked.pk])).content.decode())
    assert terms["total_amount"] and not terms["settlement_amount"] and not terms["waive_fees"]


def test_a_value_left_in_another_kind_s_field_changes_nothing(client, worked):
    # A settlement amount typed, then the kind switched to an installment plan: the plan is for the balance.
    response = client.post(
        reverse("plan-new", args=[worked.pk]),
        {
            "kind": "installment",
            "first_due_date": IN_A_WEEK.isoformat(),
            "installment_count": "3",
            "frequency": "monthly",
            "settlement_amount": "100.00",
            "waive_interest": "on",
            "action": "propose",
        },
    )

    assert response.status_code == 302
    plan = Plan.objects.get(case=worked)
    assert (plan.kind, plan.total_amount) == ("installment", 3180)


def test_the_schedule_answers_an_htmx_request_with_its_errors_in_place(client, worked):
    response = client.post(
        reverse("plan-new", args=[worked.pk]),
        {
            "kind": "settlement",
            "first_due_date": IN_A_WEEK.isoformat(),
            "installment_count": "1",
            "frequency": "monthly",
            "action": "preview",
        },
        HTTP_HX_REQUEST="true",
    )

    preview = response.content.decode().split('id="plan-preview"')[1]
    assert "Settlement amount: This field is required for this kind of plan." in preview
    assert 'id="plan-propose"' not in preview  # nothing to propose until the schedule stands
