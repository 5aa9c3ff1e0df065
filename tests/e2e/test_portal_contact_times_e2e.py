"""The borrower names the times that do not suit them in the portal, in a real Chromium at a phone's width,
in English and in Chinese (issue 17); the gate then keeps to them. Screenshots go to a temporary folder."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
import time_machine

from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from portal.services import portal_link_create
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai, a Wednesday
PHONE = {"width": 375, "height": 812}
TEXT = {
    "en": {"heading": "Times that do not suit you", "saved": "not contact you at the times you named"},
    "zh-hans": {"heading": "不方便联系的时间", "saved": "我们不会在您指定的时间联系您"},
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_borrower_names_inconvenient_times_on_a_phone(live_server, chromium, language, tmp_path):
    borrower = factories.BorrowerFactory(language=language, date_of_birth=dt.date(1980, 5, 17))
    factories.PhoneFactory(borrower=borrower, number="+8613900003333")
    loan = factories.LoanFactory(borrower=borrower)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=10))
    case = factories.CaseFactory(loan=loan, dpd=10, overdue_amount=Decimal("1060.00"))
    _link, url = portal_link_create(case=case)
    context = chromium.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + url)
        page.fill("#id_answer", "1980-05-17")
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        page.click("a[href$='/preferences/']")
        assert TEXT[language]["heading"] in page.content()
        page.fill("#id_times_start", "10:30")
        page.fill("#id_times_end", "12:00")
        page.check("#id_times_days_2")  # Wednesday
        page.click("#contact-times button[type=submit]")
        page.wait_for_url("**/preferences/")
        assert TEXT[language]["saved"] in page.content() and "10:30-12:00" in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
        )
        assert unlabelled == []
        page.screenshot(path=str(tmp_path / f"portal-contact-times-{language}.png"), full_page=True)
        if os.environ.get("SCREENSHOT_DIR"):
            page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/portal-contact-times-{language}.png", full_page=True)
    finally:
        context.close()
    borrower.refresh_from_db()
    assert borrower.inconvenient_times == [{"start": "10:30", "end": "12:00", "days": [2]}]
    call = OutreachAction(borrower=borrower, channel="call", case=case, at=NOW, dry_run=True)
    gate = outreach_authorize(action=call, actor=Actor.scheduler())
    assert [r["code"] for r in gate.reasons] == ["borrower_preference"]
