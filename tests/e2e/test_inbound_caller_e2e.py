"""An inbound caller in Chinese, in a real Chromium (issue 15, items 3 and 5): a collector finds the case by
the phone number as the caller says it, records the call with a promise to pay in one pass, and sets the
callback the borrower asked for at a lawful time (the gate's next allowed time proposed when not).
Screenshots to var/screenshots/ (inbound_*.png)."""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from contacts.models import ContactAttempt
from outreach.models import Task, TaskKind
from repayment_plans.models import Promise
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 11:00 in Shanghai, where the borrower and the collector are; the clock ticks on from there.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.django_db(transaction=True)
def test_an_inbound_caller_found_by_phone_promise_and_callback_in_one_pass(live_server, browser_page):
    collector = factories.UserFactory(
        username="lihua", role="collector", team=factories.TeamFactory(), language="zh-hans", timezone="Asia/Shanghai"
    )
    borrower = factories.BorrowerFactory(
        full_name="王小明", region="CN-31", timezone="Asia/Shanghai", language="zh-hans", address="上海市"
    )
    factories.PhoneFactory(borrower=borrower, number="+8613912345678", kind="mobile")
    loan = factories.LoanFactory(borrower=borrower, outstanding=Decimal("29400.00"))
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=20))
    case = factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=Decimal("1060.00"))
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("lihua")
    page.get_by_label("Password").fill("pass12345!")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/queue/$"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # The caller reads out the number as people do: the header's search box finds the case.
    search = page.locator("#topbar-search")
    search.fill("139 1234 5678")
    search.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    results = page.locator("#search-results")
    assert "王小明" in results.inner_text()
    assert "找到 1 个案件" in page.locator(".result-count").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "inbound_search_zh.png"), full_page=True)
    results.get_by_role("link", name=f"#{case.pk}").click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    assert "今日已接通 0 次（上限 3 次）" in page.locator("#borrower-view").inner_text()

    # The call, then its outcome with the promise and the callback in the same form.
    page.locator("#call-form").get_by_role("button").click()
    form = page.locator("#outcome-form")
    form.wait_for()
    form.locator("select[name=outcome]").select_option("promise")
    form.get_by_label("承诺还款金额").fill("500.00")
    pay_by = timezone.localdate() + dt.timedelta(days=3)
    form.get_by_label("还款日期").fill(pay_by.isoformat())
    # 23:00 is in the quiet hours: the form comes back with the gate's next allowed time proposed.
    form.get_by_label("回电时间（您的时间）").fill("2026-01-14T23:00")
    form.get_by_role("button", name="记录结果").click()
    page.locator("#outcome-form .field__error").wait_for()
    assert "该时间不允许呼叫" in page.locator("#outcome-form").inner_text()
    proposed = page.locator("#outcome-form input[name=callback_at]").input_value()
    assert proposed == "2026-01-15T08:00"
    page.screenshot(path=str(SCREENSHOTS / "inbound_callback_proposed_zh.png"), full_page=True)
    assert not Promise.objects.exists() and ContactAttempt.objects.get().is_pending

    # The borrower agrees to 18:00 today instead.
    page.locator("#outcome-form").get_by_label("回电时间（您的时间）").fill("2026-01-14T18:00")
    page.locator("#outcome-form").get_by_role("button", name="记录结果").click()
    done = page.locator("#action-result")
    done.get_by_text("已记录结果及承诺还款").wait_for()
    assert "已安排在" in done.inner_text()
    assert "承诺还款" in page.locator("#timeline-panel").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "inbound_done_zh.png"), full_page=True)

    promise = Promise.objects.get(case=case)
    assert (promise.amount, promise.due_date, promise.created_by) == (Decimal("500.00"), pay_by, collector)
    task = Task.objects.get(case=case, kind=TaskKind.CALLBACK)
    assert task.due_at == dt.datetime(2026, 1, 14, 18, 0, tzinfo=SHANGHAI) and task.assigned_to == collector
    assert ContactAttempt.objects.get().outcome == "promise"

    # A tablet: the search results and the case page at 768 px.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(f"{live_server.url}/search/?q=%2B86%20139-1234-5678")
    page.screenshot(path=str(SCREENSHOTS / "inbound_search_zh_768.png"), full_page=True)
