"""The borrower view on the case page (issue 15, item 4): every loan and case of the borrower the user may
see, the exposure per currency (never summed across currencies), the counts against each cap from the
gate's own evaluation, and the contact history across loans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.actions import Actor, OutreachAction
from compliance.preview import cap_counts, load_histories, preview
from compliance.services import outreach_authorize
from contacts.services import contact_record_outcome
from tests import factories

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def _call(case, user, outcome):
    gate = outreach_authorize(
        action=OutreachAction(borrower=case.borrower, channel="call", case=case, loan=case.loan),
        actor=Actor.of_user(user),
    )
    assert gate.allowed
    contact_record_outcome(contact=gate.contact, outcome=outcome)


@pytest.fixture
def two_loans(collector, other_collector):
    """A borrower with a CNY case and a USD case of the collector's, and a CNY case of a colleague's."""
    mine = make_case(place=day_place(), assigned_to=collector)
    borrower = mine.borrower
    mine.loan.outstanding, mine.loan.overdue_amount = Decimal("2000.00"), Decimal("500.00")
    mine.loan.save()
    usd = factories.CaseFactory(
        loan=factories.LoanFactory(
            borrower=borrower, currency="USD", outstanding=Decimal("300.00"), overdue_amount=Decimal("120.50")
        ),
        assigned_to=collector,
    )
    theirs = factories.CaseFactory(
        loan=factories.LoanFactory(borrower=borrower, outstanding=Decimal("9999.00")), assigned_to=other_collector
    )
    return mine, usd, theirs


def test_exposure_per_currency_over_the_loans_the_user_may_see(client, collector, two_loans):
    mine, usd, theirs = two_loans
    client.force_login(collector)

    overview = client.get(f"/cases/{mine.pk}/").context["overview"]

    assert [(e.currency, e.outstanding, e.overdue, e.loans) for e in overview.exposure] == [
        ("CNY", Decimal("2000.00"), Decimal("500.00"), 1),
        ("USD", Decimal("300.00"), Decimal("120.50"), 1),
    ]
    assert {c.pk for c in overview.cases} == {mine.pk, usd.pk}  # not the colleague's


def test_a_supervisor_sees_every_case_of_the_borrower(client, supervisor, two_loans):
    mine, usd, theirs = two_loans
    client.force_login(supervisor)

    overview = client.get(f"/cases/{mine.pk}/").context["overview"]

    assert {c.pk for c in overview.cases} == {mine.pk, usd.pk, theirs.pk}
    assert [(e.currency, e.outstanding) for e in overview.exposure] == [
        ("CNY", Decimal("11999.00")),
        ("USD", Decimal("300.00")),
    ]


def test_the_page_shows_each_currency_on_its_own_line(client, collector, two_loans):
    mine, _usd, _theirs = two_loans
    client.force_login(collector)
    html = client.get(f"/cases/{mine.pk}/").content.decode()
    assert 'id="borrower-view"' in html
    assert "2,000.00" in html and "300.00" in html
    assert "2,300.00" not in html  # never summed across currencies


def test_the_counts_against_the_caps_are_the_gates(client, collector, two_loans):
    mine, usd, _theirs = two_loans
    _call(mine, collector, "right_party")
    _call(usd, collector, "promise")  # another loan of the same borrower: the daily cap is the borrower's
    client.force_login(collector)

    html = client.get(f"/cases/{mine.pk}/").content.decode()

    assert "2 of 3 answered calls today" in html
    assert "0 of 6 unanswered calls to this number today" in html


def test_a_reached_cap_is_marked(client, collector, two_loans):
    mine, _usd, _theirs = two_loans
    for _ in range(3):
        _call(mine, collector, "right_party")
    client.force_login(collector)

    overview = client.get(f"/cases/{mine.pk}/").context["overview"]

    answered = [cap for cap in overview.caps if "answered calls today" in cap.text and "unanswered" not in cap.text]
    assert [(cap.text, cap.reached) for cap in answered] == [("3 of 3 answered calls today", True)]


def test_cap_counts_are_read_from_the_rules_results(collector):
    """The preview's results carry the rule's own count (no second implementation): the count follows
    the log, and a cap that does not apply (CN has no 7-in-7) is not listed."""
    case = make_case(place=day_place(), assigned_to=collector)
    _call(case, collector, "right_party")
    borrower = case.borrower
    now = timezone.now()
    history = load_histories([borrower], at=now)[borrower.pk]

    verdict = preview(history, channel="call", to=day_place().phone, at=now, loan_id=case.loan_id, case_id=case.pk)

    caps = {cap.code: (cap.count, cap.limit, cap.window_days) for cap in cap_counts(verdict)}
    assert caps["daily_answered_cap"] == (1, 3, 1)
    assert caps["daily_unanswered_cap"] == (0, 6, 1)
    assert "call_frequency_7in7" not in caps


def test_a_us_borrower_sees_the_seven_in_seven_window(collector):
    case = make_case(
        place=day_place(), assigned_to=collector
    )  # the rules are the region's: make it a US borrower in a day zone
    borrower = case.borrower
    borrower.region, borrower.timezone = "US-CA", "America/Los_Angeles"
    borrower.save()
    borrower.phones.update(number="+14155550100")
    now = timezone.now()
    history = load_histories([borrower], at=now)[borrower.pk]

    verdict = preview(history, channel="call", to="+14155550100", at=now, loan_id=case.loan_id, case_id=case.pk)

    caps = {cap.code: (cap.count, cap.limit, cap.window_days) for cap in cap_counts(verdict)}
    assert caps["call_frequency_7in7"] == (0, 7, 7)


def test_contact_history_across_loans(client, collector, two_loans):
    mine, usd, theirs = two_loans
    _call(usd, collector, "no_answer")
    client.force_login(collector)

    overview = client.get(f"/cases/{mine.pk}/").context["overview"]

    assert [(c.case_id, c.outcome) for c in overview.contacts] == [(usd.pk, "no_answer")]
