"""Issue 17's "done when", end to end in a real Chromium, in English and in Chinese: the scheduler's dispatch
sends an SMS reminder carrying a portal link; the borrower opens that link on a phone (375 px), confirms
who they are with the platform's second factor (the date of birth; the national id's last four), chooses a
plan, accepts its agreement and sees it active; the collector's case page shows the plan; then a simulated
provider (`manage.py simulate_provider`, over HTTP, signed) reports the number's "STOP" reply and the gate
blocks the next reminder to it."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from accounts.models import SecondFactor
from borrowers.models import OptOut
from outreach import services
from outreach.default_strategies import PLAN_STRATEGY_NAME, seed_strategies
from outreach.models import JobStatus, ReminderJob, Strategy
from repayment_plans.models import Plan, PlanStatus
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)  # 11:00 in Shanghai
TODAY = NOW.date()
PHONE = {"width": 375, "height": 812}
NUMBER = "+8613900003333"
CASES = {
    "en": {"factor": SecondFactor.DATE_OF_BIRTH, "answer": "1980-05-17", "stop": "STOP", "active": "plan is active"},
    "zh-hans": {"factor": SecondFactor.NATIONAL_ID_LAST4, "answer": "123X", "stop": "退订", "active": "还款计划已生效"},
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_GATEWAY = "file"
    settings.PORTAL_BASE_URL = live_server.url  # what `make run` sets: its own address
    settings.PROVIDER_CALLBACK_SECRETS = {"generic": "generic-secret"}


def _case(language: str, collector):
    platform = factories.PlatformFactory(
        portal_second_factor=CASES[language]["factor"],
        payment_url_template="https://pay.example.com/p?amount={amount}&ref={reference}",
    )
    borrower = factories.BorrowerFactory(platform=platform, language=language, date_of_birth=dt.date(1980, 5, 17))
    borrower.set_national_id("31010119800517123X")
    borrower.save()
    factories.PhoneFactory(borrower=borrower, number=NUMBER)
    loan = factories.LoanFactory(borrower=borrower, external_id=f"L-{language}")
    for seq, days in enumerate((-40, -10, 20), start=1):
        factories.InstallmentFactory(loan=loan, seq=seq, due_date=TODAY + dt.timedelta(days=days))
    return factories.CaseFactory(loan=loan, dpd=40, overdue_amount=Decimal("2120.00"), assigned_to=collector)


def _due(case, strategy, offset: int, *, due_date: dt.date | None = None) -> ReminderJob:
    return ReminderJob.objects.create(
        case=case,
        step=strategy.steps.get(offset_days=offset, channel="sms"),
        due_date=due_date or case.loan.installments.order_by("due_date").first().due_date,
        scheduled_for=NOW - dt.timedelta(minutes=1),
    )


def _scheduler_run() -> list[str]:
    """What the worker's beat-driven dispatch does: claim the due reminders, send each."""
    dispatch = services.reminders_dispatch(batch_size=100, enqueue=lambda ids: None)
    return [services.reminder_send(job_id=job_id).status for job_id in dispatch.job_ids]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_from_the_schedulers_reminder_to_an_active_plan_then_stop(live_server, chromium, settings, language):
    strategy = seed_strategies()
    collector = factories.UserFactory(role="collector")
    case = _case(language, collector)
    _due(case, strategy, 1)
    assert _scheduler_run() == ["sent"]
    sms = [json.loads(line) for line in (settings.OUTBOX_DIR / "sms.log").read_text().splitlines()]
    assert len(sms) == 1 and sms[0]["to"] == NUMBER
    link = re.search(r"http://\S+/p/[A-Za-z0-9_-]{22}/", sms[0]["body"]).group()
    assert link.startswith(live_server.url)

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(link)
        assert page.locator("html").get_attribute("lang") == language
        page.fill("#id_answer", CASES[language]["answer"])
        page.click("button[type=submit]")
        page.wait_for_url("**/home/")
        page.click("a[href$='/plans/']")
        page.click("a[href*='offer=installment-3']")
        page.check("#id_accept")
        page.click("button[type=submit]")
        page.wait_for_url("**/plans/")
        assert CASES[language]["active"] in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    plan = Plan.objects.get(case=case)
    assert plan.status == PlanStatus.ACTIVE

    # The collector's case page shows it.
    client = Client()
    client.force_login(collector)
    desk = chromium.new_context(viewport={"width": 1280, "height": 900})
    desk.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = desk.new_page()
    try:
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        plans = page.locator(f"a[href='/plans/{plan.pk}/']")
        assert plans.count() >= 1
        # In the collector's language (English) whatever the borrower's page was in.
        assert "Borrower (portal): Chose a repayment plan" in page.content()
    finally:
        desk.close()

    # The provider reports the borrower's STOP reply; the next reminder to that number is blocked.
    out = io.StringIO()
    call_command(
        "simulate_provider", "reply", "--case", str(case.pk), "--text", CASES[language]["stop"],
        "--url", live_server.url, stdout=out,
    )  # fmt: skip
    assert '"result":"opted_out"' in out.getvalue()
    assert OptOut.objects.filter(borrower=case.borrower, channel="sms", to=NUMBER).exists()
    # The plan's own reminder now (a strategy's gives way to an active plan), for its first installment.
    plan_strategy = Strategy.objects.get(name=PLAN_STRATEGY_NAME)
    later = _due(case, plan_strategy, -1, due_date=plan.installments.order_by("seq").first().due_date)
    assert _scheduler_run() == ["skipped"]
    later.refresh_from_db()
    assert later.status == JobStatus.SKIPPED and later.skip_reason == "opted_out"
    assert len((settings.OUTBOX_DIR / "sms.log").read_text().splitlines()) == 1
