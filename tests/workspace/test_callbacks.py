"""Callbacks (issue 15, item 5): "call me at 6 pm" recorded with the call's outcome as a CALLBACK task for
the collector, due at a time the gate would allow the call; a time it would not is refused with the gate's
next allowed time proposed in the form, and nothing is recorded until the collector confirms."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import ContactAttempt
from outreach.callback_requests import CallbackNotAllowed, callback_schedule
from outreach.models import Task, TaskKind, TaskStatus
from repayment_plans.models import Promise

from .conftest import NOW

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# NOW is 11:00 in Shanghai (the day place): 18:00 the same day is allowed, 23:00 is in the quiet hours.
SIX_PM = dt.datetime(2026, 1, 14, 18, 0, tzinfo=SHANGHAI)
ELEVEN_PM = dt.datetime(2026, 1, 14, 23, 0, tzinfo=SHANGHAI)
NEXT_MORNING = dt.datetime(2026, 1, 15, 8, 0, tzinfo=SHANGHAI)


def _start_call(client, case) -> ContactAttempt:
    client.post(f"/cases/{case.pk}/call/", {"point": f"phone:{case.borrower.phones.get().pk}"}, **HTMX)
    return ContactAttempt.objects.get(case=case)


def _local(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


def test_a_callback_at_a_lawful_time_is_a_task_for_the_collector(collector, day_case):
    task = callback_schedule(case=day_case, user=collector, at=SIX_PM, note="after work")

    assert (task.kind, task.status, task.assigned_to, task.due_at) == (
        TaskKind.CALLBACK,
        TaskStatus.OPEN,
        collector,
        SIX_PM,
    )
    assert "after work" in task.reason


def test_a_callback_in_the_quiet_hours_is_refused_with_the_next_allowed_time(collector, day_case):
    with pytest.raises(CallbackNotAllowed) as refused:
        callback_schedule(case=day_case, user=collector, at=ELEVEN_PM)

    assert refused.value.proposed_at == NEXT_MORNING
    assert not Task.objects.exists()


def test_a_callback_in_the_past_is_refused(collector, day_case):
    with pytest.raises(ValidationError):
        callback_schedule(case=day_case, user=collector, at=NOW - dt.timedelta(hours=1))


def test_asking_again_moves_the_open_callback(collector, day_case):
    first = callback_schedule(case=day_case, user=collector, at=SIX_PM)
    second = callback_schedule(case=day_case, user=collector, at=SIX_PM + dt.timedelta(hours=1))
    assert first.pk == second.pk
    assert Task.objects.get().due_at == SIX_PM + dt.timedelta(hours=1)


def test_the_outcome_form_sets_a_promise_and_a_callback_in_one_pass(client, collector, day_case):
    collector.timezone = "Asia/Shanghai"
    collector.save()
    client.force_login(collector)
    contact = _start_call(client, day_case)
    pay_by = timezone.localdate() + dt.timedelta(days=3)

    response = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {
            "outcome": "promise",
            "promise_amount": "200",
            "promise_due_date": pay_by.isoformat(),
            "callback_at": _local(SIX_PM),
        },
        **HTMX,
    )

    contact.refresh_from_db()
    assert contact.outcome == "promise" and Promise.objects.filter(case=day_case).exists()
    task = Task.objects.get(case=day_case, kind=TaskKind.CALLBACK)
    assert task.due_at == SIX_PM and task.assigned_to == collector
    assert "Callback set for" in response.content.decode()


def test_a_blocked_callback_time_comes_back_with_the_proposal_and_records_nothing(client, collector, day_case):
    collector.timezone = "Asia/Shanghai"
    collector.save()
    client.force_login(collector)
    contact = _start_call(client, day_case)

    response = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "callback_at": _local(ELEVEN_PM)},
        **HTMX,
    )

    contact.refresh_from_db()
    assert contact.is_pending and not Task.objects.exists()
    html = response.content.decode()
    assert "A call would not be allowed then" in html
    assert f'value="{_local(NEXT_MORNING)}"' in html  # the gate's next allowed time, proposed in the field

    confirmed = client.post(
        f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/",
        {"outcome": "right_party", "callback_at": _local(NEXT_MORNING)},
        **HTMX,
    )

    assert "Callback set for" in confirmed.content.decode()
    assert Task.objects.get().due_at == NEXT_MORNING
