"""A demo collector works a case in a real Chromium: queue, call and outcome, promise, a quiet-hours
block with its reason, and the interface in Chinese. Screenshots of the queue and the case page go to
var/screenshots/ (the README's are made by `make screenshots`: tests/e2e/test_screenshots_e2e.py)."""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from borrowers.models import Hold, OptOut, Phone
from cases.models import Case
from contacts.models import ContactAttempt
from demo.portfolio import DEMO_PASSWORD
from repayment_plans.models import Promise

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
# A test run writes no tracked file.
SCREENSHOTS = ROOT / "var" / "screenshots"
# The clock of the test and of the live server (a thread of this process) starts here and ticks on: 11:00
# in Shanghai, 03:00 in London (neither on daylight saving that day). The browser keeps its own clock;
# the pages read only the server's.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
# (region, zone, a number of that zone): daytime and night at NOW.
DAY = ("CN-31", "Asia/Shanghai", "+8613912345678")
NIGHT = ("GB-ENG", "Europe/London", "+442079460123")


@pytest.fixture(autouse=True)
def frozen_clock():
    assert 9 <= NOW.astimezone(zoneinfo.ZoneInfo(DAY[1])).hour < 20
    assert 0 <= NOW.astimezone(zoneinfo.ZoneInfo(NIGHT[1])).hour < 7
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _move_borrower(case: Case, place: tuple[str, str, str]) -> None:
    """Put the case's borrower somewhere definite and clear what else could block a call."""
    region, zone, number = place
    borrower = case.borrower
    borrower.region, borrower.timezone, borrower.vulnerabilities = region, zone, []
    borrower.save()
    Phone.objects.filter(borrower=borrower).delete()
    Phone.objects.create(borrower=borrower, number=number, kind="mobile")
    Hold.objects.filter(borrower=borrower).delete()
    OptOut.objects.filter(borrower=borrower).delete()


@pytest.mark.django_db(transaction=True)
def test_a_collector_works_a_case_end_to_end(live_server, browser_page):
    call_command("seed_demo", verbosity=0)
    call_command("seed_strategies", verbosity=0)
    collector = User.objects.get(username="collector2")
    open_cases = list(Case.objects.visible_to(collector).open().select_related("borrower").order_by("id")[:2])
    awake, asleep = open_cases
    _move_borrower(awake, DAY)
    _move_borrower(asleep, NIGHT)
    # Both at the top of the queue: highest risk, largest overdue amounts.
    Case.objects.filter(pk=awake.pk).update(risk_segment="high", overdue_amount=9876.54)
    Case.objects.filter(pk=asleep.pk).update(risk_segment="high", overdue_amount=8765.43)
    page = browser_page

    # Sign in: a collector lands on the work queue.
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("collector2")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/queue/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "My day"
    awake_row = page.locator(f'tr[data-case="{awake.pk}"]')
    asleep_row = page.locator(f'tr[data-case="{asleep.pk}"]')
    page.get_by_label("Callable now").check()  # htmx swaps the table and pushes the filtered URL
    page.wait_for_url(re.compile(r"callable=1"))
    asleep_row.wait_for(state="detached")
    expect_visible(awake_row)
    page.get_by_label("Callable now").uncheck()
    expect_visible(asleep_row)
    assert "Callable" in awake_row.locator("td.callable").inner_text()
    assert "Quiet hours" in asleep_row.locator("td.callable").inner_text()  # the short tag (issue 15)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue.png"))

    # Open the callable case, start a call, record its outcome: it appears in the timeline in place.
    awake_row.locator("a.case-link").click()
    page.wait_for_url(re.compile(rf"/cases/{awake.pk}/$"))
    page.get_by_role("button", name="Start call").click()
    result = page.locator("#action-result")
    result.get_by_label("Outcome").select_option("right_party")
    result.get_by_label("Duration (seconds)").fill("120")
    result.get_by_label("Notes").fill("Borrower will pay on Friday")
    result.get_by_role("button", name="Record outcome").click()
    timeline = page.locator("#timeline-panel")
    expect_text(timeline, "Borrower will pay on Friday")
    assert "Right party contact" in timeline.inner_text()
    contact = ContactAttempt.objects.filter(case=awake, actor_user=collector).latest("id")
    assert (contact.outcome, contact.duration_s, contact.decision.allowed) == ("right_party", 120, True)

    # Take a promise to pay.
    due = timezone.localdate() + dt.timedelta(days=3)
    page.locator("summary", has_text="Promise to pay").click()
    promise_form = page.locator("#promise-form")
    promise_form.get_by_label("Amount").fill("321.00")
    promise_form.get_by_label("Pay by").fill(due.isoformat())
    promise_form.get_by_role("button", name="Record promise").click()
    expect_text(timeline, "321.00")
    assert Promise.objects.get(case=awake).amount == 321
    page.screenshot(path=str(SCREENSHOTS / "case.png"), full_page=True)

    # The other case: night where the borrower lives. No call button, the reason and until when.
    page.goto(f"{live_server.url}/cases/{asleep.pk}/")
    assert page.locator("#call-form").count() == 0
    actions = page.locator("#actions-panel")
    assert "Calls are not allowed now." in actions.inner_text()
    assert "Outside the permitted hours" in actions.inner_text()
    assert "Allowed again" in page.locator("#compliance-panel").inner_text()

    # Switch to Chinese: the same page, translated, the block still explained.
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.url.endswith(f"/cases/{asleep.pk}/")
    assert "不在允许的联系时间" in page.locator("#compliance-panel").inner_text()
    assert page.get_by_role("heading", name="办理此案件").is_visible()
    collector.refresh_from_db()
    assert collector.language == "zh-hans"


def expect_visible(locator) -> None:
    locator.wait_for(state="visible")


def expect_text(locator, text: str) -> None:
    locator.get_by_text(text, exact=False).first.wait_for(state="visible")
