"""Tasks and alerts in a real Chromium (issue 15): a supervisor acknowledges an alert on /alerts/, a collector
working in Chinese finishes a task from My day (/queue/). Screenshots go to var/screenshots/."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from outreach.models import Alert, Task, TaskStatus
from repayment_plans.models import Promise
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
# 11:00 in Shanghai, where the borrowers live: inside the permitted calling hours.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
PASSWORD = "pass12345!"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def _case(collector, name: str, number: str):
    borrower = factories.BorrowerFactory(full_name=name, region="CN-31", timezone="Asia/Shanghai")
    factories.PhoneFactory(borrower=borrower, number=number)
    loan = factories.LoanFactory(borrower=borrower, platform=borrower.platform)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=20))
    return factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=Decimal("1060.00"))


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_acknowledges_an_alert_and_a_collector_finishes_a_task_from_my_day(live_server, chromium):
    team = factories.TeamFactory(name="East")
    supervisor = factories.UserFactory(username="lead", first_name="Lena", role=Role.SUPERVISOR, team=team)
    collector = factories.UserFactory(
        username="wang", first_name="王", last_name="芳", role=Role.COLLECTOR, team=team, language="zh-hans"
    )
    worked = _case(collector, "张伟", "+8613912345678")
    lost = _case(collector, "李娜", "+8613912345679")
    task = Task.objects.create(
        case=worked,
        assigned_to=collector,
        kind="call",
        due_at=timezone.now(),
        reason="3 automated reminders unanswered",
    )
    Promise.objects.create(case=worked, amount=Decimal("300.00"), due_date=timezone.localdate())
    alert = Alert.objects.create(
        kind="lost_contact",
        borrower=lost.borrower,
        case=lost,
        supervisor=supervisor,
        message="Every phone number is invalid",
        data={"reason": "all_phones_invalid"},
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # The supervisor: Alerts in the menu, the alert with its reason, acknowledged with a note.
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, "lead")
    # The team's tasks, each with its assignee and the reassignment a supervisor may make.
    page.get_by_role("link", name="Tasks", exact=True).click()
    page.wait_for_url(re.compile(r"/tasks/$"))
    team_row = page.locator(f'tr[data-task="{task.pk}"]')
    assert "张伟" in team_row.inner_text() and "王 芳" in team_row.inner_text()
    assert team_row.get_by_role("button", name="Reassign").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "tasks.png"), full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path=str(SCREENSHOTS / "tasks_768.png"), full_page=True)
    # The task list fits a tablet's width (the actions wrap inside their cell).
    assert page.locator("#task-table").evaluate("t => t.getBoundingClientRect().right") <= 768
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="Alerts").click()
    page.wait_for_url(re.compile(r"/alerts/$"))
    row = page.locator(f'tr[data-alert="{alert.pk}"]')
    assert "Borrower lost contact" in row.inner_text() and "李娜" in row.inner_text()
    row.get_by_label("Note").fill("Asked the platform for a new number")
    page.screenshot(path=str(SCREENSHOTS / "alerts.png"), full_page=True)
    row.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Alert acknowledged.").wait_for()
    assert page.locator(f'tr[data-alert="{alert.pk}"]').count() == 0
    alert.refresh_from_db()
    assert alert.acknowledged_by == supervisor and alert.acknowledged_at is not None
    page.get_by_role("link", name="Acknowledged", exact=True).click()
    page.locator(f'tr[data-alert="{alert.pk}"]').wait_for()
    assert "Lena" in page.locator(f'tr[data-alert="{alert.pk}"]').inner_text()
    context.close()

    # The collector, in Chinese: My day shows the task and today's promise; the task is done from there.
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, "wang")
    page.wait_for_url(re.compile(r"/queue/$"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", level=1).inner_text() == "我的一天"
    my_tasks = page.locator("#my-tasks")
    task_row = my_tasks.locator(f'tr[data-task="{task.pk}"]')
    assert "张伟" in task_row.inner_text() and "致电借款人" in task_row.inner_text()
    promises = page.locator("#promises-today").inner_text()
    assert "300.00" in promises and "今日到期的承诺还款" in promises
    assert "当前可拨打 2 个" in page.locator("#callable-count").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "my_day_zh.png"), full_page=True)
    task_row.get_by_label("备注").fill("已与借款人通话")
    task_row.get_by_role("button", name="标记完成").click()
    page.get_by_text(f"任务已完成：案件 #{worked.pk}。").wait_for()
    assert page.url.endswith("/queue/")
    assert page.locator(f'#my-tasks tr[data-task="{task.pk}"]').count() == 0
    assert "今天没有到期任务。" in page.locator("#my-tasks").inner_text()
    task.refresh_from_db()
    assert (task.status, task.closed_by) == (TaskStatus.DONE, collector)

    # A tablet: the worklist's rows stay on one line and the page needs no sideways scrolling.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    heights = page.locator(".queue-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 48
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.screenshot(path=str(SCREENSHOTS / "my_day_zh_768.png"), full_page=True)
    context.close()
