"""Keyboard shortcuts in Chromium (issue 15, item 9): "?" opens the help and Esc closes it; c opens the
call form with the focus on "Start call", Enter starts it, o goes to its outcome; p and n open the
promise and note forms; keys typed in a field stay in the field; j opens the next callable case."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from cases.models import CaseEvent
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai: calls allowed


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _case(collector, overdue: str, number: str):
    borrower = factories.BorrowerFactory(region="CN-31", timezone="Asia/Shanghai", language="en")
    factories.PhoneFactory(borrower=borrower, number=number, kind="mobile")
    loan = factories.LoanFactory(borrower=borrower)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=20))
    return factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=overdue)


@pytest.mark.django_db(transaction=True)
def test_a_collector_works_a_case_from_the_keyboard(live_server, browser_page):
    collector = factories.UserFactory(username="kb", role=Role.COLLECTOR, team=factories.TeamFactory())
    first = _case(collector, "9000.00", "+8613912345678")
    second = _case(collector, "100.00", "+8613912345679")
    page = browser_page
    page.goto(live_server.url + "/")
    page.locator("input[name=username]").fill("kb")
    page.locator("input[name=password]").fill("pass12345!")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/queue/$"))

    # j on the queue: the first callable case in working order (the larger overdue amount).
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/cases/{first.pk}/$"))

    page.keyboard.press("?")
    help_ = page.locator("#shortcuts-help")
    assert help_.is_visible() and "Keyboard shortcuts" in help_.inner_text()
    page.keyboard.press("Escape")
    assert not help_.is_visible()

    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.closest('#call-form') !== null")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")  # starts the call: the gate allows it, the outcome form comes
    page.locator("#outcome-form").wait_for()
    page.locator("body").click(position={"x": 5, "y": 300})  # the focus off the form's fields
    page.keyboard.press("o")
    assert page.evaluate("document.activeElement.name") == "outcome"

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.name") == "amount"
    # Typed in a field, the keys are text: "j" does not leave the page.
    page.keyboard.type("12j")
    assert page.url.endswith(f"/cases/{first.pk}/")

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("Call again after payday")
    page.locator("#note-form button[type=submit]").click()
    page.locator("#timeline-panel", has_text="Call again after payday").wait_for()
    assert CaseEvent.objects.filter(case=first, kind=CaseEvent.Kind.NOTE, actor=collector).exists()

    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"/cases/{second.pk}/"))
