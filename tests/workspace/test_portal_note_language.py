"""The timeline's portal note (issue 15): what a borrower did in the portal is stored as a code with its
parameters and shown in the reader's language, whatever language the borrower's page was in; an old row
without the code keeps its stored text."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from cases.events import case_event_record
from cases.models import CaseEvent
from portal.services import portal_link_create, portal_more_help
from tests import factories
from workspace.selectors import case_timeline

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def _notes(case, language: str) -> list[str]:
    borrower = type(case.borrower).objects.prefetch_related("holds", "opt_outs").get(pk=case.borrower_id)
    with translation.override(language):
        return [i.detail for i in case_timeline(case, borrower) if i.kind == "event"]


def test_a_portal_action_done_in_chinese_reads_in_the_viewers_language(collector):
    case = make_case(place=day_place(), assigned_to=collector)
    link, _url = portal_link_create(case=case)
    with translation.override("zh-hans"):  # the borrower's page was in Chinese
        portal_more_help(link=link, note="想分期", ip=None)

    assert "Borrower (portal): Asked for another arrangement" in _notes(case, "en")
    chinese = _notes(case, "zh-hans")
    assert "借款人（自助服务）：请求其他还款安排" in chinese, chinese
    assert not any("Asked for another" in n for n in chinese)
    # The stored text no longer depends on the borrower's language.
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.NOTE)
    assert event.reason == "borrower (portal): Asked for another arrangement"


def test_an_old_portal_note_without_its_code_keeps_its_text(collector):
    case = make_case(place=day_place(), assigned_to=collector)
    case_event_record(
        case_id=case.pk, kind=CaseEvent.Kind.NOTE, reason="borrower (portal): 申请其他还款安排", at=timezone.now()
    )

    assert "borrower (portal): 申请其他还款安排" in _notes(case, "en")


def test_the_zh_case_page_shows_the_note_in_chinese(client):
    zh = factories.UserFactory(role=Role.COLLECTOR, language="zh-hans")
    case = make_case(place=day_place(), assigned_to=zh)
    link, _url = portal_link_create(case=case)
    with translation.override("en"):
        portal_more_help(link=link, note="another plan", ip=None)
    client.force_login(zh)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert "Asked for another arrangement" not in html
    assert "borrower (portal)" not in html
