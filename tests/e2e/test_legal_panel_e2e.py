"""The case page's pause, write-off and legal path panel in Chromium (issue 18 items 5, 7): a supervisor
pauses the delinquency clock, refers the case with a lawyer letter, records a mediation and writes the loan
off, in English, then reads the panel in Chinese."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import time_machine

from accounts.models import Role
from cases.delinquency import refresh_delinquency
from cases.models import Case, LawyerLetter, LegalStage, Loan
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
PASSWORD = "pass12345!"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _shot(page, name: str) -> None:
    # Screenshots only when asked for (SCREENSHOT_DIR), never into the repository.
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['SCREENSHOT_DIR']}/{name}.png", full_page=True)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_works_the_panel_in_english_and_reads_it_in_chinese(live_server, browser_page):
    team = factories.TeamFactory()
    supervisor = factories.UserFactory(username="s1", role=Role.SUPERVISOR, team=team, is_staff=True)
    borrower = factories.BorrowerFactory(
        region="CN-31", timezone="Asia/Shanghai", language="zh-hans", address="上海市浦东新区 1 号"
    )
    loan = factories.LoanFactory(borrower=borrower, currency="CNY")
    factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=20))
    refresh_delinquency(loan_ids=[loan.pk])
    case = Case.objects.get(loan=loan)
    case.assigned_to = supervisor
    case.save()
    page = browser_page
    _sign_in(page, live_server.url, "s1")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = page.locator("#legal-panel")
    panel.get_by_text("Supervisor actions").click()

    page.select_option("#id_legal_kind", "referred")
    page.fill("#id_legal_forum", "上海某某律师事务所")
    page.check("#id_legal_send_letter")
    page.click("#legal-step-form button[type=submit]")
    page.get_by_text("Lawyer letter queued for printing.").wait_for()
    letter = LawyerLetter.objects.get(proceeding__case=case)
    assert letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT and letter.body.startswith("律师函")

    page.locator("#legal-panel").get_by_text("Supervisor actions").click()
    page.fill("#id_pause_starts_on", (NOW.date() - dt.timedelta(days=4)).isoformat())
    page.fill("#id_pause_reason", "Typhoon in the borrower's district")
    page.click("#pause-form button[type=submit]")
    panel = page.locator("#legal-panel")
    panel.get_by_text("Typhoon in the borrower's district").first.wait_for()
    assert Loan.objects.get(pk=loan.pk).dpd == 15

    page.locator("#legal-panel").get_by_text("Supervisor actions").click()
    page.select_option("#id_legal_kind", "mediation")
    page.fill("#id_legal_forum", "浦东新区人民调解委员会")
    page.fill("#id_legal_reference", "(2026)沪0115民诉前调1号")
    page.click("#legal-step-form button[type=submit]")
    page.locator("#legal-proceedings").get_by_text("(2026)沪0115民诉前调1号").wait_for()

    page.locator("#legal-panel").get_by_text("Supervisor actions").click()
    page.fill("#id_writeoff_reason", "Uncollectable")
    page.click("#write-off-form button[type=submit]")
    page.locator("[data-write-off]").get_by_text("Written off").wait_for()
    case.refresh_from_db()
    assert case.legal_stage == LegalStage.MEDIATION
    assert Loan.objects.get(pk=loan.pk).written_off_on == NOW.date()
    _shot(page, "legal-panel-en")

    # The printable letter, in the borrower's language.
    page.locator("#legal-proceedings a", has_text="Queued for printing").click()
    page.get_by_text("律师函").first.wait_for()
    _shot(page, "lawyer-letter")

    supervisor.language = "zh-hans"
    supervisor.save()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = page.locator("#legal-panel")
    panel.get_by_text("暂停、核销与法律程序").wait_for()
    text = panel.inner_text()
    assert "已核销" in text and "诉前调解" in text and "已暂停" in text
    _shot(page, "legal-panel-zh")
