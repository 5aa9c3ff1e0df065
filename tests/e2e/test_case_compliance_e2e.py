"""The case page in Chromium (issues 17 and 19): a collector records the borrower's inconvenient times and
the compliance panel shows the block with its next allowed time; a supervisor records verification of a
debt disputed within its Regulation F validation period, and the panel then says so."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine

from accounts.models import Role
from borrowers.services import hold_create
from compliance.actions import Actor, OutreachAction
from compliance.models import ValidationNotice
from compliance.services import outreach_authorize
from outreach.services import validation_notices_send_due
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# 11:00 in Shanghai; 22:00 the evening before in New York (letters go, calls wait).
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
PASSWORD = "pass12345!"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _case(region: str, zone: str, number: str, user):
    borrower = factories.BorrowerFactory(region=region, timezone=zone, language="en", address="1 Main Street")
    factories.PhoneFactory(borrower=borrower, number=number, kind="mobile", autodial_consent=True)
    loan = factories.LoanFactory(borrower=borrower, currency="USD" if region.startswith("US") else "CNY")
    factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=20))
    return factories.CaseFactory(loan=loan, assigned_to=user)


def _shot(page, name: str) -> None:
    # Screenshots only when asked for (SCREENSHOT_DIR), never into the repository.
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/{name}.png", full_page=True)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))  # wherever the role lands


@pytest.mark.django_db(transaction=True)
def test_inconvenient_times_and_verification_on_the_case_page(live_server, browser_page):
    team = factories.TeamFactory()
    collector = factories.UserFactory(username="c1", role=Role.COLLECTOR, team=team)
    supervisor = factories.UserFactory(username="s1", role=Role.SUPERVISOR, team=team, is_staff=True)
    cn_case = _case("CN-31", "Asia/Shanghai", "+8613912345678", collector)
    page = browser_page

    _sign_in(page, live_server.url, "c1")
    page.goto(f"{live_server.url}/cases/{cn_case.pk}/")
    page.get_by_text("The borrower names inconvenient times").click()
    page.fill("#id_times_start", "10:00")
    page.fill("#id_times_end", "12:00")
    page.click("#contact-times-form button[type=submit]")
    panel = page.locator("#compliance-panel")
    panel.get_by_text("The borrower said 10:00-12:00 is inconvenient").first.wait_for()
    assert "12:00" in panel.inner_text()
    cn_case.borrower.refresh_from_db()
    assert cn_case.borrower.inconvenient_times == [{"start": "10:00", "end": "12:00"}]
    _shot(page, "case-inconvenient-times")

    us_case = _case("US-NY", "America/New_York", "+12125550123", collector)
    letter = OutreachAction(borrower=us_case.borrower, channel="letter", case=us_case, message="Please call us.")
    assert outreach_authorize(action=letter, actor=Actor.of_user(collector)).allowed
    validation_notices_send_due()
    hold_create(borrower=us_case.borrower, kind="dispute", loan=us_case.loan)
    page.context.clear_cookies()
    _sign_in(page, live_server.url, supervisor.username)
    page.goto(f"{live_server.url}/cases/{us_case.pk}/")
    notice_box = page.locator("#validation-notice")
    assert "Disputed within the validation period" in notice_box.inner_text()
    page.fill("#id_verification_note", "Copy of the ledger mailed.")
    page.click("#validation-verify-form button[type=submit]")
    page.locator("#validation-notice").get_by_text("Verification recorded").wait_for()
    _shot(page, "case-validation-verified")
    assert ValidationNotice.objects.get(case=us_case).verified_by == supervisor
