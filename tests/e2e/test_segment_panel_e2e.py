"""The case page's "why this segment" and "best time to contact" in Chromium (issue 18 items 1, 3): the
refresh scores the case, the collector reads each factor and the borrower's good hours, in English and
then in Chinese (the page's CSP allows the panel: no inline style, the bars are <meter> elements)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine

from accounts.models import Role
from cases.delinquency import refresh_delinquency
from cases.models import Case
from contacts.models import ContactAttempt
from outreach.default_strategies import seed_strategies
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # Wednesday 11:00 in Shanghai
PASSWORD = "pass12345!"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _shot(page, name: str) -> None:
    # Screenshots only when asked for (SCREENSHOT_DIR), never into the repository.
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/{name}.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_collector_reads_why_this_segment_and_when_to_call(live_server, browser_page):
    seed_strategies(segments=True)
    collector = factories.UserFactory(username="c1", role=Role.COLLECTOR, team=factories.TeamFactory())
    borrower = factories.BorrowerFactory(region="CN-31", timezone="Asia/Shanghai", language="zh-hans")
    factories.PhoneFactory(borrower=borrower)
    loan = factories.LoanFactory(borrower=borrower, currency="CNY")
    factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=40))
    for weeks in (1, 2):  # Wednesdays at 19:10 in Shanghai
        ContactAttempt.objects.create(
            platform=borrower.platform,
            borrower=borrower,
            channel="call",
            direction="outbound",
            outcome="right_party",
            at=NOW - dt.timedelta(weeks=weeks) + dt.timedelta(hours=8, minutes=10),
            actor_kind="platform",
        )
    refresh_delinquency(loan_ids=[loan.pk])
    case = Case.objects.get(loan=loan)
    case.assigned_to = collector
    case.save()

    page = browser_page
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("c1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    panel = page.locator("#segment-panel")
    panel.get_by_text("Why this segment").wait_for()
    rows = panel.locator("#risk-factors tbody tr")
    assert rows.count() == 6
    assert "40 days past due" in panel.locator('[data-factor="dpd"]').inner_text()
    assert "Never paid" in panel.locator('[data-factor="payment_history"]').inner_text()
    assert panel.locator("#case-strategy").is_visible()
    assert "Wednesday 19:00–20:00: 2 right-party contacts, 0 payments" in panel.locator("#best-hours").inner_text()
    assert panel.locator("#hour-histogram meter").count() == 1
    assert "19:00–20:00" in panel.locator("#best-hour-today").inner_text()
    _shot(page, "segment-panel-en")

    collector.language = "zh-hans"
    collector.save()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = page.locator("#segment-panel")
    panel.get_by_text("为何属于该风险分层").wait_for()
    text = panel.inner_text()
    assert "逾期 40 天" in text and "从未还款" in text and "最佳联系时间" in text
    assert "星期三 19:00–20:00: 本人接听 2 次，还款 0 次" in text
    _shot(page, "segment-panel-zh")
