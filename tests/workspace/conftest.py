"""Borrowers placed where it is day or night at a fixed instant: every workspace test runs with the clock
set to `NOW`, so quiet-hours tests hold whatever the hour (or date) the suite runs at."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from tests import factories


@dataclass(frozen=True)
class Place:
    region: str
    zone: str
    phone: str
    email: str


# The instant every workspace test starts at (the clock then ticks on from it): a Wednesday in January,
# 11:00 in Shanghai, 03:00 in London (no daylight saving in either that day).
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
# Well inside the permitted hours (CN: 08:00-22:00) at NOW, and for hours after it.
DAY = Place("CN-31", "Asia/Shanghai", "+8613912345678", "cn@example.com")
# Well before the permitted hours (UK: from 08:00) at NOW. The phone numbers belong to the same zone as the
# region, so no extra candidate zone appears.
NIGHT = Place("GB-ENG", "Europe/London", "+442079460123", "gb@example.com")


def local_hour(place: Place, at: dt.datetime) -> int:
    return at.astimezone(zoneinfo.ZoneInfo(place.zone)).hour


@pytest.fixture(autouse=True)
def frozen_clock():
    """The clock at NOW (ticking) for the test's whole run: factories, pages and the gate all read it."""
    assert 9 <= local_hour(DAY, NOW) < 20 and 0 <= local_hour(NIGHT, NOW) < 7
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def day_place() -> Place:
    """A place where it is well inside the permitted hours at NOW (and for hours after it)."""
    return DAY


def night_place() -> Place:
    """A place where it is night at NOW: every channel but letters waits for the morning."""
    return NIGHT


def make_case(*, place: Place, assigned_to: User | None = None, platform=None, **case_kwargs) -> Case:
    """An open case of a borrower living in `place`, with one mobile, one email and an address."""
    borrower_kwargs = {"platform": platform} if platform is not None else {}
    borrower = factories.BorrowerFactory(
        region=place.region, timezone=place.zone, language="en", address="1 Main Street", **borrower_kwargs
    )
    factories.PhoneFactory(borrower=borrower, number=place.phone, kind="mobile", autodial_consent=True)
    factories.EmailFactory(borrower=borrower, address=place.email)
    loan = factories.LoanFactory(borrower=borrower)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=20))
    case_kwargs.setdefault("overdue_amount", Decimal("1060.00"))
    return factories.CaseFactory(loan=loan, assigned_to=assigned_to, **case_kwargs)


@pytest.fixture
def outbox(settings, tmp_path):
    settings.OUTBOX_DIR = tmp_path / "outbox"
    return settings.OUTBOX_DIR


@pytest.fixture
def day_case(collector) -> Case:
    return make_case(place=day_place(), assigned_to=collector)


@pytest.fixture
def night_case(collector) -> Case:
    return make_case(place=night_place(), assigned_to=collector)
