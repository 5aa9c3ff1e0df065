"""A demo collector signs in, finds their cases, opens one and switches the interface to Chinese."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from accounts.models import User
from cases.models import Case
from demo.portfolio import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.django_db(transaction=True)
def test_a_collector_signs_in_opens_a_case_and_switches_to_chinese(live_server, browser_page):
    call_command("seed_demo", verbosity=0)
    collector = User.objects.get(username="collector2")
    my_cases = Case.objects.visible_to(collector).open()
    page = browser_page

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("collector2")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/queue/$"))  # collectors land on their work queue
    page.goto(live_server.url + "/cases/")
    assert page.get_by_role("heading", level=1).inner_text() == "Cases"
    rows = page.locator("table.table tbody tr")
    assert rows.count() == min(my_cases.count(), 25)
    shown_ids = {int(t.lstrip("#")) for t in page.locator("a.case-link").all_inner_texts()}
    assert shown_ids <= set(my_cases.values_list("pk", flat=True))

    page.locator("a.case-link").first.click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    case = Case.objects.select_related("borrower").get(pk=case_id)
    assert case.assigned_to_id == collector.pk
    assert case.borrower.full_name in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("heading", name="Installments").is_visible()

    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()

    assert page.url.endswith(f"/cases/{case_id}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("heading", name="分期").is_visible()
    assert page.get_by_role("button", name="退出登录").is_visible()
    collector.refresh_from_db()
    assert collector.language == "zh-hans"
