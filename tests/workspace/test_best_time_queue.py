"""My day's worklist puts first the borrowers whose good hour it is now (their right-party contacts and
payments fell in this local hour before), never at night, and the gate still says who is callable."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contacts.models import ContactAttempt

from .conftest import NOW, day_place, make_case, night_place

pytestmark = pytest.mark.django_db


def _listed(response) -> list[int]:
    return [c.pk for c in response.context["rows"]]


def _reached(case, at: dt.datetime) -> None:
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        channel="call",
        direction="outbound",
        outcome="right_party",
        at=at,
        actor_kind="platform",
    )


def test_a_borrower_whose_good_hour_it_is_comes_first(client, collector):
    place = day_place()  # 11:00 in Shanghai at NOW
    bigger = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("9000"))
    good = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("100"))
    other_hour = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("50"))
    _reached(good, NOW - dt.timedelta(days=7, minutes=-20))  # last Wednesday 11:20 in Shanghai
    _reached(other_hour, NOW - dt.timedelta(days=7, hours=-5))  # last Wednesday 16:00
    client.force_login(collector)

    rows = client.get("/queue/").context["rows"]

    assert [c.pk for c in rows] == [good.pk, bigger.pk, other_hour.pk]
    assert all(row.call_verdict.allowed for row in rows)  # the gate's preview, unchanged by the order


def test_a_good_hour_at_night_is_never_one(client, collector):
    place = night_place()  # 03:00 in London at NOW: nobody may be called
    bigger = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("9000"))
    night_owl = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("100"))
    _reached(night_owl, NOW - dt.timedelta(days=7, minutes=-10))  # last Wednesday 03:10 in London
    client.force_login(collector)

    rows = client.get("/queue/").context["rows"]

    assert [c.pk for c in rows] == [bigger.pk, night_owl.pk]
    assert not any(row.call_verdict.allowed for row in rows)
