"""The operations page in a real Chromium, in Chinese: a supervisor opens it from the navigation, reads the
pipeline (failed reminders by reason, a failing webhook endpoint, the refresh) and requeues a reason's
failed reminders; at 768 px nothing overflows the page. Screenshots to var/screenshots/ (operations_*.png)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import time_machine

from cases.delinquency import refresh_delinquency
from outreach.models import JobStatus, ReminderJob
from tests import factories
from tests.operations.test_operations_page import pipeline  # noqa: F401 - the fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_reads_the_pipeline_and_requeues_in_chinese(live_server, browser_page, pipeline):  # noqa: F811
    jobs, _platform = pipeline
    refresh_delinquency()
    factories.UserFactory(username="wangli", role="supervisor", language="zh-hans", team=factories.TeamFactory())
    page = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("wangli")
    page.get_by_label("Password").fill("pass12345!")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="运维").click()  # the main navigation, once signed in
    page.wait_for_url(re.compile(r"/operations/$"))

    assert page.locator("h1").inner_text() == "运维"
    assert "Receiver Down Ltd" in page.locator("#failing-endpoints").inner_text()
    assert "transient_failures_exhausted" in page.locator("#failed-reasons").inner_text()
    assert page.locator("#refresh-runs tbody tr").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "operations_zh.png"), full_page=True)

    row = page.locator("#failed-reasons tr", has_text="transient_failures_exhausted")
    row.get_by_role("button", name="全部重新排队").click()
    page.wait_for_url(re.compile(r"/operations/$"))
    assert "2 条提醒已重新排队" in page.locator(".messages").inner_text()
    assert {job.status for job in ReminderJob.objects.filter(pk__in=[j.pk for j in jobs["failed"]])} == {
        JobStatus.PENDING
    }

    # A tablet: the page fits its width (the wide tables scroll inside their frames).
    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.screenshot(path=str(SCREENSHOTS / "operations_zh_768.png"), full_page=True)
