"""The README's screenshots (issue 15): My day, the case page with a call's script, the plan form with its
schedule and the quality review, each in English and Chinese, on the demo data in Chromium (CJK fonts from
the system). `make screenshots` writes them to docs/screenshots/ (UPDATE_SCREENSHOTS=1); any other run
writes them under var/screenshots/, so the test run leaves the repository as it was. Each page is checked
before it is taken: in its language, nothing wider than the window."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from cases.models import Case
from contacts.models import ContactAttempt
from demo.portfolio import DEMO_PASSWORD
from repayment_plans.services import loan_balance
from supervision.models import QualitySample

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var") / "screenshots"
# 11:00 in Shanghai, 03:00 in London, 19:00 the evening before in California: the Chinese borrowers
# callable, so the case page shows a call in progress.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
LAPTOP = {"width": 1366, "height": 900}
WIDER = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _sign_in(page, base: str, username: str, language: str) -> None:
    page.goto(base + "/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state()
    switch = page.locator(f"button.lang-switch__btn[value='{language}']")
    if switch.is_enabled():
        switch.click()
        page.wait_for_load_state()


def _shot(page, name: str, language: str, *, full_page: bool = False) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert page.evaluate(WIDER) <= 0, name
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


@pytest.mark.django_db(transaction=True)
def test_the_readme_screenshots(live_server, chromium):
    call_command("seed_demo", verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    for username, language, suffix in (("collector2", "en", "en"), ("collector", "zh-hans", "zh")):
        context = chromium.new_context(viewport=LAPTOP, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            _sign_in(page, base, username, language)
            page.goto(base + "/queue/")
            _shot(page, f"queue-{suffix}.png", language)

            # The next callable case, a call started: the script of its pack with its disclosures.
            page.locator("#next-case").click()
            page.wait_for_url(re.compile(r"/cases/\d+/"))
            case_id = int(re.search(r"/cases/(\d+)/", page.url).group(1))  # type: ignore[union-attr]
            page.locator("#call-form button[type=submit]").click()
            page.locator("#call-script").wait_for()
            boxes = page.locator("#call-script input[type=checkbox]")
            for i in range(min(2, boxes.count())):
                boxes.nth(i).check()
            # Tall enough for the case's header, the actions and the call below them.
            page.set_viewport_size({"width": LAPTOP["width"], "height": 1700})
            page.evaluate("window.scrollTo(0, 0)")
            _shot(page, f"case-{suffix}.png", language)
            page.set_viewport_size(LAPTOP)
            page.locator("#outcome-form select[name=outcome]").select_option("right_party")
            page.locator("#outcome-form button[type=submit]").click()
            page.locator("#action-result .message--success").wait_for()

            # The plan form: a settlement in three instalments, its schedule shown as it is typed.
            page.goto(f"{base}/cases/{case_id}/plans/new/")
            page.locator("#id_kind").select_option("settlement")
            page.locator("#id_first_due_date").fill((NOW.date() + dt.timedelta(days=7)).isoformat())
            balance = loan_balance(Case.objects.get(pk=case_id).loan_id)
            page.locator("#id_settlement_amount").fill(str((balance * 9 / 10).quantize(balance)))
            page.locator("#id_reason").fill("Settlement agreed on the call")
            page.locator("#plan-preview table").wait_for()
            _shot(page, f"plan-{suffix}.png", language, full_page=True)
        finally:
            context.close()

    # Quality review of the English collector's call, by the supervisor, in both languages.
    collector = User.objects.get(username="collector2")
    contact = ContactAttempt.objects.filter(actor_user=collector).exclude(disclosures=[]).latest("id")
    sample = QualitySample.objects.create(contact=contact, reason="collector_share")
    for language, suffix in (("en", "en"), ("zh-hans", "zh")):
        context = chromium.new_context(viewport=LAPTOP, locale="en-US")
        page = context.new_page()
        try:
            _sign_in(page, base, "supervisor", language)
            page.goto(f"{base}/supervision/quality/{sample.pk}/")
            page.locator("#disclosures").wait_for()
            _shot(page, f"quality-{suffix}.png", language)
        finally:
            context.close()

    taken = sorted(p.name for p in SCREENSHOTS.glob("*-[ez][nh].png"))
    for name in ("case", "plan", "quality", "queue"):
        assert {f"{name}-en.png", f"{name}-zh.png"} <= set(taken)
