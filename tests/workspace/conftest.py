"""Borrowers placed where it is day or night *now*, so that quiet-hours tests hold at any hour."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
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


# One place per pack family; between them, at least one is in daytime (09-20) and one at night (00-07)
# at every UTC hour. The phone numbers belong to the same zone as the region, so no extra candidate
# zone appears.
PLACES = [
    Place("CN-31", "Asia/Shanghai", "+8613912345678", "cn@example.com"),
    Place("GB-ENG", "Europe/London", "+442079460123", "gb@example.com"),
    Place("US-NY", "America/New_York", "+12125550123", "ny@example.com"),
    Place("US-CA", "America/Los_Angeles", "+14155550123", "ca@example.com"),
]


def _local_hour(place: Place) -> int:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(place.zone)).hour


def day_place() -> Place:
    """A place where it is well inside the permitted hours for the next hour at least."""
    return next(p for p in PLACES if 9 <= _local_hour(p) < 20)


def night_place() -> Place:
    return next(p for p in PLACES if 0 <= _local_hour(p) < 7)


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
