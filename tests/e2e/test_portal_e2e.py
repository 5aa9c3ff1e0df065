"""The borrower portal in a real Chromium at a phone's width (375 px), in English and in Chinese: a borrower
opens the link from a reminder, confirms the date of birth, sees what is owed, goes to pay, promises, chooses
a plan and accepts its agreement, opts out of SMS and disputes the debt. Screenshots go to var/screenshots/."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from borrowers.models import Hold, HoldKind, OptOut
from outreach.models import Task, TaskStatus
from portal.models import AgreementAcceptance, PortalAction
from portal.services import portal_link_create
from repayment_plans.models import Plan, PlanStatus, Promise
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
TODAY = NOW.date()
BIRTHDAY = "1980-05-17"
PHONE = {"width": 375, "height": 812}

TEXT = {
    "en": {
        "owed": "What you owe",
        "balance": "3,180.00",
        "promised": "noted your promise",
        "active": "plan is active",
        "opted": "no longer contact you",
        "disputed": "recorded your dispute",
    },
    "zh-hans": {
        "owed": "您的欠款",
        "balance": "3,180.00",  # grouped by thousands in both languages (config/formats/zh_Hans)
        "promised": "已记录您的还款承诺",
        "active": "还款计划已生效",
        "opted": "不再以此方式联系您",
        "disputed": "已记录您的异议",
    },
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _case(language: str):
    platform = factories.PlatformFactory(
        name="Lucky Loans", payment_url_template="https://pay.example.com/p?amount={amount}&ref={reference}"
    )
    borrower = factories.BorrowerFactory(
        platform=platform,
        full_name="Li Na" if language == "en" else "李娜",
        language=language,
        date_of_birth=dt.date(1980, 5, 17),
    )
    factories.PhoneFactory(borrower=borrower, number="+8613900002222")
    loan = factories.LoanFactory(borrower=borrower, external_id=f"L-{language}")
    for seq, days in enumerate((-40, -10, 20), start=1):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=TODAY + dt.timedelta(days=days))
    return factories.CaseFactory(loan=loan, dpd=40, overdue_amount=Decimal("2120.00"))


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _fits_and_labelled(page) -> None:
    """Nothing wider than the phone; every visible field has a label."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    unlabelled = page.evaluate(
        """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(e => !(e.labels && e.labels.length)).map(e => e.name)"""
    )
    assert unlabelled == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_borrower_acts_from_the_link_on_a_phone(live_server, chromium, language):
    case = _case(language)
    link, url = portal_link_create(case=case)
    text = TEXT[language]
    context = chromium.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + url)
        assert page.locator("html").get_attribute("lang") == language
        _fits_and_labelled(page)
        _shot(page, f"portal-{language}-1-confirm")
        page.fill("#id_answer", "1999-01-01")
        page.click("button[type=submit]")
        assert page.locator(".pfield__error").count() == 1
        page.fill("#id_answer", BIRTHDAY)
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        assert text["owed"] in page.content() and text["balance"] in page.content()
        _fits_and_labelled(page)
        _shot(page, f"portal-{language}-2-home")

        # pay: the platform's page, with the amount and the loan as the reference
        page.click("a[href$='/pay/']")
        page.click("button[type=submit]")
        href = page.locator("a[href^='https://pay.example.com']").get_attribute("href")
        assert href == f"https://pay.example.com/p?amount=2120.00&ref=L-{language}"
        _shot(page, f"portal-{language}-3-pay")
        page.click(".portal-back")

        # promise
        page.click("a[href$='/promise/']")
        page.fill("#id_amount", "500")
        page.fill("#id_due_date", (TODAY + dt.timedelta(days=7)).isoformat())
        _fits_and_labelled(page)
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        assert text["promised"] in page.content()
        assert Promise.objects.get(case=case).amount == Decimal("500.00")

        # choose a plan, read and accept its agreement
        page.click("a[href$='/plans/']")
        _fits_and_labelled(page)
        _shot(page, f"portal-{language}-4-plans")
        page.click("a[href*='offer=installment-3']")
        assert "RP-" not in page.locator(".pdocument").inner_text()  # no number before it exists
        _fits_and_labelled(page)
        _shot(page, f"portal-{language}-5-agreement")
        page.check("#id_accept")
        page.click("button[type=submit]")
        page.wait_for_url("**/plans/")
        assert text["active"] in page.content()
        _shot(page, f"portal-{language}-6-plan-active")
        plan = Plan.objects.get(case=case)
        assert plan.status == PlanStatus.ACTIVE and AgreementAcceptance.objects.get(plan=plan).link == link

        # opt out of SMS at one number
        page.goto(live_server.url + url + "preferences/")
        page.select_option("#id_channel", "sms")
        page.fill("#id_to", "+8613900002222")
        _fits_and_labelled(page)
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        assert text["opted"] in page.content()
        assert OptOut.objects.filter(borrower=case.borrower, channel="sms", to="+8613900002222").exists()

        # dispute
        page.click("a[href$='/dispute/']")
        page.fill("#id_note", "I paid this in cash at the branch.")
        _shot(page, f"portal-{language}-7-dispute")
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        assert text["disputed"] in page.content()
        _shot(page, f"portal-{language}-8-done")
        assert Hold.objects.filter(borrower=case.borrower, kind=HoldKind.DISPUTE, loan=case.loan).exists()
        assert Task.objects.filter(case=case, status=TaskStatus.OPEN).exists()
        assert PortalAction.objects.filter(link=link).count() == 5  # pay, promise, plan, opt-out, dispute
    finally:
        context.close()
