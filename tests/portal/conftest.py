"""A borrower with one delinquent loan (two of three installments overdue), a platform that takes payments
on its own page and asks for the date of birth, and the clock frozen at one instant for every test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from portal.services import portal_link_create
from portal.views import SESSION_KEY
from tests.factories import BorrowerFactory, CaseFactory, InstallmentFactory, LoanFactory, PhoneFactory

# 11:00 in Shanghai, where the factories' borrowers live.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
BIRTHDAY = dt.date(1980, 5, 17)
BALANCE = Decimal("3180.00")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Agreement PDFs land in a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(platform):
    platform.payment_url_template = (
        "https://pay.example.com/checkout?amount={amount}&currency={currency}&ref={reference}"
    )
    platform.save()
    borrower = BorrowerFactory(platform=platform, date_of_birth=BIRTHDAY, language="en")
    borrower.set_national_id("31010119800517123X")
    borrower.save()
    PhoneFactory(borrower=borrower, number="+8613900001111")
    loan = LoanFactory(borrower=borrower, external_id="L-PORTAL-1")
    for seq, days in enumerate((-40, -10, 20), start=1):
        InstallmentFactory(loan=loan, seq=seq, due_date=TODAY + dt.timedelta(days=days))
    return CaseFactory(loan=loan, dpd=40, overdue_amount=Decimal("2120.00"))


@pytest.fixture
def link_and_token(case):
    link, url = portal_link_create(case=case)
    return link, url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def signed_in(client: Client, link_and_token):
    """A browser whose session has confirmed the link's second factor."""
    link, _token = link_and_token
    session = client.session
    session[SESSION_KEY] = [link.pk]
    session.save()
    return client
