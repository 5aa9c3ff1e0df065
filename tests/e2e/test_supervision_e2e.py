"""A demo supervisor audits yesterday's calls, filters and exports them, verifies the evidence chain and
reads the dashboard, in a real Chromium."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import csv  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from django.core.management import call_command  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

from accounts.models import User  # noqa: E402
from borrowers.models import vulnerable_q  # noqa: E402
from cases.models import Case  # noqa: E402
from compliance.actions import Actor, OutreachAction  # noqa: E402
from compliance.services import outreach_authorize  # noqa: E402
from contacts.models import ContactAttempt  # noqa: E402
from contacts.services import contact_record_outcome  # noqa: E402
from demo.portfolio import DEMO_PASSWORD  # noqa: E402
from supervision import selectors  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _yesterdays_calls() -> tuple[dt.date, int, int]:
    """Calls through the gate yesterday at 10:00 in Shanghai: one each to five CN borrowers, then three
    more to the first, whose last one the daily answered cap (3) blocks. Returns (day, rows, blocked)."""
    collector = User.objects.get(username="collector")
    # A day without calls in seed_demo's six months of history (nor the days beside it, whatever the
    # reader's zone), so the day holds exactly these calls.
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=6)
    while ContactAttempt.objects.filter(
        channel="call",
        at__gte=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC),
        at__lt=dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC),
    ).exists():
        day -= dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(2, 0), tzinfo=dt.UTC)
    # In a fixed order, and without vulnerable borrowers (their humane limits would block first): the
    # demo's later steps rewrite case rows, so the database's own row order is no order.
    cases = list(
        Case.objects.visible_to(collector)
        .open()
        .filter(borrower__region__startswith="CN")
        .exclude(vulnerable_q(day, "borrower__"))
        .select_related("borrower")
        .order_by("pk")
    )
    results = []
    for i, case in enumerate(cases[:5] + [cases[0]] * 3):
        result = outreach_authorize(
            action=OutreachAction(
                borrower=case.borrower, channel="call", case=case, at=start + dt.timedelta(minutes=i)
            ),
            actor=Actor.of_user(collector),
        )
        if result.contact is not None:
            contact_record_outcome(
                contact=result.contact, outcome="right_party", duration_s=90, notes="Spoke to borrower"
            )
        results.append(result)
    return day, len(results), sum(1 for r in results if not r.allowed)


@pytest.mark.django_db(transaction=True)
def test_a_supervisor_audits_exports_verifies_and_reads_the_dashboard(live_server, browser_page):
    call_command("seed_demo", verbosity=0)
    day, rows, blocked = _yesterdays_calls()
    assert blocked >= 1
    page = browser_page
    errors: list[str] = []
    failed: list[str] = []

    def on_console(message) -> None:
        # The site has no favicon yet (base layout); any other failed load or script error counts.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response", lambda r: failed.append(r.url) if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
    )

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(cases|queue)/$"))

    # Audit: a day of calls, then only the blocked ones (htmx swaps the table on each change).
    page.goto(live_server.url + "/supervision/audit/")
    page.fill("#id_date_from", day.isoformat())
    page.fill("#id_date_to", day.isoformat())
    page.select_option("#id_channel", "call")
    expect(page.locator("#audit-rows tbody tr")).to_have_count(rows)
    page.select_option("#id_result", "blocked")
    expect(page.locator("#audit-rows tbody tr")).to_have_count(blocked)
    expect(page.locator("#audit-rows tbody")).to_contain_text("Daily answered-call limit")
    assert "result=blocked" in page.url  # the filters are in the address: the view can be shared

    with page.expect_download() as download_info:
        page.locator("#audit-export").click()
    download = download_info.value
    assert download.suggested_filename.startswith("contact-audit-")
    with open(download.path(), encoding="utf-8-sig") as handle:  # the export starts with a BOM for Excel
        exported = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(exported) == blocked
    assert {r["Result"] for r in exported} == {"Blocked"}
    assert all("daily_answered_cap" in r["Rule codes"] for r in exported)

    # One call's record: decision, evidence and history.
    page.select_option("#id_result", "allowed")
    expect(page.locator("#audit-rows tbody tr")).to_have_count(rows - blocked)
    page.locator("#audit-rows tbody tr a", has_text="Contact").first.click()
    page.wait_for_url(re.compile(r"/supervision/audit/\d+/$"))
    expect(page.locator("#chain-state")).to_contain_text("chain verifies")

    # Evidence: verification runs on demand.
    page.goto(live_server.url + "/supervision/evidence/")
    expect(page.locator("#last-run-state")).to_contain_text("Not verified yet")
    page.get_by_role("button", name="Run verification").click()
    expect(page.locator("#last-run-state")).to_contain_text("Intact")

    # Dashboard: every chart drawn by the vendored Chart.js, without a console error.
    page.goto(live_server.url + "/supervision/")
    expect(page.locator("html[data-charts-ready='true']")).to_have_count(1)
    assert page.locator("canvas").count() == 8
    drawn = page.evaluate("Array.from(document.querySelectorAll('canvas')).filter(c => Chart.getChart(c)).length")
    assert drawn == 8
    assert errors == []
    assert failed == []


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_in_chinese_at_768_px_drills_down_to_the_cases(live_server, chromium):
    """A Chinese-speaking supervisor on a 768 px tablet: amounts per currency with their codes, rule and
    channel names in Chinese, and a stage's case count opening the list of exactly those cases."""
    call_command("seed_demo", verbosity=0)
    supervisor = User.objects.get(username="supervisor")
    supervisor.language = "zh-hans"
    supervisor.save(update_fields=["language"])
    m1 = Case.objects.visible_to(supervisor).open().filter(stage="m1").count()
    assert m1 > 0
    missed = selectors.kpi_cases(
        selectors.dashboard_scope(user=supervisor), selectors.Period.last(6), "promises_missed"
    ).count()
    assert missed > 0  # the demo's history has broken promises
    context = chromium.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(live_server.url + "/")
        page.locator("#id_username").fill("supervisor")
        page.locator("#id_password").fill(DEMO_PASSWORD)
        page.locator("button.btn--primary[type=submit]").click()
        page.wait_for_url(re.compile(r"/(cases|queue)/$"))

        page.goto(live_server.url + "/supervision/")
        expect(page.locator("html[data-charts-ready='true']")).to_have_count(1)
        expect(page.locator("h1")).to_contain_text("资产组合看板")
        table = page.locator("#stage-table")
        expect(table.locator(".currency").first).to_be_visible()
        codes = set(table.locator(".currency").all_inner_texts())
        assert codes and codes <= {"CNY", "USD", "GBP", "EUR"}
        # No horizontal scrolling of the page at 768 px.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        os.makedirs("var/screenshots", exist_ok=True)
        page.screenshot(path="var/screenshots/supervision-dashboard-zh-768.png", full_page=True)

        page.locator("#stage-table tr[data-stage='m1'] a").click()
        page.wait_for_url(re.compile(r"/cases/\?stage=m1&status=open$"))
        expect(page.locator("table.table tbody tr")).to_have_count(min(m1, 25))  # 25 a page

        # A KPI's figure opens the cases behind it: the promises not kept in full, in Chinese.
        page.goto(live_server.url + "/supervision/?months=6")
        expect(page.locator("html[data-charts-ready='true']")).to_have_count(1)
        page.locator("a[data-drill='promises_missed']").click()
        page.wait_for_url(re.compile(r"/supervision/kpi/promises_missed/cases/\?months=6$"))
        expect(page.locator("h1")).to_contain_text("有承诺未足额履约的案件")
        expect(page.locator("table.table tbody tr")).to_have_count(min(missed, 50))  # 50 a page
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path="var/screenshots/supervision-kpi-drill-down-zh-768.png", full_page=True)
        page.locator("a", has_text="返回看板").click()
        page.wait_for_url(re.compile(r"/supervision/\?months=6$"))
    finally:
        context.close()
    assert errors == []
