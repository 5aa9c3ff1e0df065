"""The borrower names the times that do not suit them in the portal (issue 17); the gate honours them
(borrower_preference) from the next action on. 11:00 in Shanghai at the frozen NOW."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from portal.models import PortalAction, PortalActionKind

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _gate(case):
    action = OutreachAction(borrower=case.borrower, channel="call", case=case, at=NOW, dry_run=True)
    return outreach_authorize(action=action, actor=Actor.scheduler())


def test_the_borrower_names_a_time_and_the_gate_keeps_to_it(signed_in: Client, link_and_token):
    link, token = link_and_token
    assert _gate(link.case).allowed
    page = signed_in.get(f"/p/{token}/preferences/")
    assert page.status_code == 200 and b"Times that do not suit you" in page.content
    response = signed_in.post(f"/p/{token}/contact-times/", {"start": "10:30", "end": "12:00", "days": ["2"]})
    assert response.status_code == 302 and response["Location"] == f"/p/{token}/preferences/"
    borrower = link.case.borrower
    borrower.refresh_from_db()
    assert borrower.inconvenient_times == [{"start": "10:30", "end": "12:00", "days": [2]}]
    action = PortalAction.objects.get(kind=PortalActionKind.CONTACT_TIMES)
    assert action.link == link and action.data["windows"] == borrower.inconvenient_times
    assert link.case.events.get(kind="contact_times").data["source"] == "portal"
    # 14 January 2026 is a Wednesday: blocked until 12:00 Shanghai time.
    blocked = _gate(link.case)
    assert {r["code"] for r in blocked.reasons} == {"borrower_preference"}
    assert blocked.next_allowed_at == dt.datetime(2026, 1, 14, 4, 0, tzinfo=dt.UTC)
    assert "12:00" in signed_in.get(f"/p/{token}/preferences/").content.decode()
    # Removing them all lets the gate through again.
    assert signed_in.post(f"/p/{token}/contact-times/", {"clear": "on"}).status_code == 302
    assert _gate(link.case).allowed


def test_times_are_required_unless_clearing(signed_in: Client, link_and_token):
    link, token = link_and_token
    response = signed_in.post(f"/p/{token}/contact-times/", {"start": "10:00"})
    assert response.status_code == 200 and b'role="alert"' in response.content
    link.case.borrower.refresh_from_db()
    assert link.case.borrower.inconvenient_times == []


def test_the_chinese_page(signed_in: Client, link_and_token):
    link, token = link_and_token
    borrower = link.case.borrower
    borrower.language = "zh-hans"
    borrower.save()
    page = signed_in.get(f"/p/{token}/preferences/").content.decode()
    assert "不方便联系的时间" in page
