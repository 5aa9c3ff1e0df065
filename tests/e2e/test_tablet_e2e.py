"""Tablet, 768 px (issue 15, item 10): My day and the case page of a collector and of a supervisor, in
English and Chinese: nothing wider than the screen (the supervisor's nine links wrapped; they ran 18 px
off), and on the case page the actions come before the borrower's panels."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
OVERFLOW = """() => { const W = document.documentElement.clientWidth;
  const nav = document.querySelector('.mainnav');
  return {scroll: document.documentElement.scrollWidth - W, nav: nav ? nav.getBoundingClientRect().right - W : 0}; }"""


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.SUPERVISOR])
def test_my_day_and_the_case_page_fit_a_tablet(live_server, chromium, role, language):
    team = factories.TeamFactory()
    user = factories.UserFactory(username="tab", role=role, team=team, language=language, is_staff=role != "collector")
    borrower = factories.BorrowerFactory(
        full_name="欧阳娜娜 Christina-Alexandra", region="CN-31", timezone="Asia/Shanghai"
    )
    factories.PhoneFactory(borrower=borrower, number="+8613912345678", kind="mobile")
    loan = factories.LoanFactory(borrower=borrower)
    factories.InstallmentFactory(loan=loan, seq=1, due_date=timezone.localdate() - dt.timedelta(days=95))
    case = factories.CaseFactory(loan=loan, assigned_to=user, stage="m3_plus", dpd=95, overdue_amount="123456.78")
    context = chromium.new_context(viewport={"width": 768, "height": 1024}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.locator("input[name=username]").fill("tab")
        page.locator("input[name=password]").fill("pass12345!")
        page.locator("input[name=password]").press("Enter")
        page.wait_for_load_state()

        for url in ("/queue/", f"/cases/{case.pk}/"):
            page.goto(live_server.url + url)
            assert page.locator("html").get_attribute("lang") == language
            overflow = page.evaluate(OVERFLOW)
            assert overflow == {"scroll": 0, "nav": 0} or (overflow["scroll"] <= 0 and overflow["nav"] <= 0), (
                url,
                overflow,
            )

        actions = page.locator("#actions-panel").bounding_box()
        borrower_panel = page.locator("#borrower-panel").bounding_box()
        assert actions is not None and borrower_panel is not None
        assert actions["y"] < borrower_panel["y"] and actions["y"] < 600  # the work within the first screen
        assert actions["width"] > 650  # full width, not a shrunken column
    finally:
        context.close()
