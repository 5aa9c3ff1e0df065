"""Concurrent authorisations for one borrower cannot race past a cap (PostgreSQL row lock)."""

from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from compliance.actions import Actor, OutreachAction
from compliance.models import Decision
from compliance.services import outreach_authorize
from contacts.models import ContactAttempt
from tests import factories

from .conftest import local, log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_authorisations_one_short_of_the_cap_allow_exactly_one():
    platform = factories.PlatformFactory()
    borrower = factories.BorrowerFactory(platform=platform, region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    # An explicit instant inside the calling window (12:00 Shanghai today), so the test does not
    # depend on the hour it runs at; every thread asks about the same instant.
    today = timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    at = local("Asia/Shanghai", today.year, today.month, today.day, 12, 0)
    for hour in (9, 10):  # two answered calls: one short of the daily cap of 3
        log(borrower, local("Asia/Shanghai", today.year, today.month, today.day, hour, 0), outcome="connected")

    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def attempt() -> None:
        try:
            barrier.wait()
            action = OutreachAction(borrower=borrower, channel="call", at=at)
            result = outreach_authorize(action=action, actor=Actor.scheduler())
            results.append(result.allowed)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    assert sorted(results) == [False] * 19 + [True]
    assert ContactAttempt.objects.filter(borrower=borrower, outcome="").count() == 1
    assert Decision.objects.filter(borrower=borrower).count() == 20
    blocked = Decision.objects.filter(borrower=borrower, allowed=False)
    assert all(d.reasons[0]["code"] == "daily_answered_cap" for d in blocked)
