"""The case page's inbound call (issue 15): a call the borrower made to us, recorded through the gate's
inbound path (never judged), with a promise and a callback in the same pass; callbacks on the timeline."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import Decision
from contacts.models import ContactAttempt
from outreach.models import Task, TaskKind
from repayment_plans.models import Promise

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# NOW is 11:00 in Shanghai (the day place): 18:00 the same day is a lawful time to call back.
SIX_PM = dt.datetime(2026, 1, 14, 18, 0, tzinfo=SHANGHAI)
ELEVEN_PM = dt.datetime(2026, 1, 14, 23, 0, tzinfo=SHANGHAI)


def _inbound(client, case, **posted):
    return client.post(f"/cases/{case.pk}/inbound-call/", posted, **HTMX)


def test_the_case_page_offers_the_inbound_call_with_every_number_on_file(client, collector, night_case):
    client.force_login(collector)

    html = client.get(f"/cases/{night_case.pk}/").content.decode()

    # At night the gate allows no outbound call, yet the borrower may call us: the form is there.
    assert 'id="inbound-form"' in html
    assert f'value="phone:{night_case.borrower.phones.get().pk}"' in html.split('id="inbound-form"')[1]


def test_an_inbound_call_at_night_is_recorded_and_not_judged(client, collector, night_case):
    client.force_login(collector)
    phone = night_case.borrower.phones.get()

    response = _inbound(
        client, night_case, point=f"phone:{phone.pk}", outcome="right_party", duration_s="95", notes="Asked about fees"
    )

    assert response.status_code == 200 and "Inbound call recorded." in response.content.decode()
    contact = ContactAttempt.objects.get(case=night_case)
    assert (contact.direction, contact.channel, contact.outcome, contact.duration_s, contact.notes) == (
        "inbound",
        "call",
        "right_party",
        95,
        "Asked about fees",
    )
    assert contact.to == phone.number and contact.actor_user == collector and contact.decision is None
    assert not Decision.objects.filter(case=night_case).exists()  # recorded, never judged


def test_an_inbound_call_from_a_number_not_on_file(client, collector, day_case):
    client.force_login(collector)

    _inbound(client, day_case, point="", outcome="connected")

    contact = ContactAttempt.objects.get(case=day_case)
    assert contact.direction == "inbound" and contact.to == ""


def test_an_inbound_promise_is_recorded_in_the_same_pass(client, collector, day_case):
    client.force_login(collector)
    pay_by = timezone.localdate() + dt.timedelta(days=4)

    response = _inbound(
        client, day_case, point="", outcome="promise", promise_amount="300.00", promise_due_date=pay_by.isoformat()
    )

    assert "Inbound call and promise recorded." in response.content.decode()
    promise = Promise.objects.get(case=day_case)
    assert (promise.amount, promise.due_date, promise.created_by) == (Decimal("300.00"), pay_by, collector)
    assert ContactAttempt.objects.get(case=day_case).outcome == "promise"


def test_an_inbound_promise_without_its_amount_records_nothing(client, collector, day_case):
    client.force_login(collector)

    response = _inbound(client, day_case, point="", outcome="promise")

    assert "A promise to pay needs the amount." in response.content.decode()
    assert not ContactAttempt.objects.filter(case=day_case).exists() and not Promise.objects.exists()


def test_an_outbound_only_outcome_is_refused(client, collector, day_case):
    client.force_login(collector)

    response = _inbound(client, day_case, point="", outcome="no_answer")

    assert "no_answer is not one of the available choices" in response.content.decode()
    assert not ContactAttempt.objects.filter(case=day_case).exists()


def test_an_inbound_callback_is_set_and_shown_on_the_timeline(client, collector, day_case):
    collector.timezone = "Asia/Shanghai"
    collector.save()
    client.force_login(collector)

    _inbound(client, day_case, point="", outcome="right_party", callback_at=SIX_PM.strftime("%Y-%m-%dT%H:%M"))

    task = Task.objects.get(case=day_case, kind=TaskKind.CALLBACK)
    assert task.due_at == SIX_PM and task.assigned_to == collector
    timeline = client.get(f"/cases/{day_case.pk}/").content.decode().split('id="timeline-panel"')[1]
    assert "timeline__item--callback" in timeline
    assert "Call back at 01/14/2026 6 p.m. (your time)" in timeline


def test_an_inbound_callback_at_an_unlawful_time_records_nothing(client, collector, day_case):
    collector.timezone = "Asia/Shanghai"
    collector.save()
    client.force_login(collector)

    response = _inbound(
        client, day_case, point="", outcome="right_party", callback_at=ELEVEN_PM.strftime("%Y-%m-%dT%H:%M")
    )

    html = response.content.decode()
    assert "A call would not be allowed then" in html and "Earliest lawful time" in html
    assert not ContactAttempt.objects.filter(case=day_case).exists()
    assert not Task.objects.filter(case=day_case).exists()
