"""Issue 18 item 3: the borrower's best hour (right-party contacts and payments by local weekday and hour)
schedules reminder steps within the day they are due, never at night, and the gate still decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.models import Payment
from contacts.models import ContactAttempt
from outreach.contact_times import contact_hours
from outreach.models import JobStatus, ReminderJob
from outreach.planning import reminders_plan
from outreach.services import reminder_send, reminders_dispatch
from tests import factories

from .conftest import SHANGHAI, TODAY, make_case, shanghai

pytestmark = pytest.mark.django_db

# TODAY (2026-01-14) is a Wednesday. The planner runs at 06:00 in Shanghai, before the permitted hours.
EARLY = shanghai(6)


def _case(**borrower):
    borrower = factories.BorrowerFactory(region="CN-31", timezone="Asia/Shanghai", **borrower)
    factories.PhoneFactory(borrower=borrower)
    return make_case(due_in_days=0, borrower=borrower, today=TODAY)


def _reached(case, at: dt.datetime, outcome: str = "right_party") -> None:
    ContactAttempt.objects.create(
        platform=case.platform,
        borrower=case.borrower,
        channel="call",
        direction="outbound",
        outcome=outcome,
        at=at,
        actor_kind="platform",
    )


def _wednesday(weeks_ago: int, hour: int, minute: int = 10) -> dt.datetime:
    return shanghai(hour, minute, day=TODAY - dt.timedelta(weeks=weeks_ago))


def test_the_histogram_is_in_local_time_and_prefers_the_weekday():
    case = _case()
    _reached(case, _wednesday(1, 19))
    _reached(case, _wednesday(2, 19))
    _reached(case, _wednesday(3, 19, 50), outcome="no_answer")  # unanswered: no evidence
    _reached(case, shanghai(12, day=TODAY - dt.timedelta(days=2)))  # Monday noon
    _reached(case, shanghai(12, day=TODAY - dt.timedelta(days=9)))  # the Monday before
    _reached(case, shanghai(12, day=TODAY - dt.timedelta(days=16)))
    Payment.objects.create(
        platform=case.platform,
        loan=case.loan,
        external_id="P-1",
        amount=Decimal("10"),
        currency="CNY",
        paid_at=shanghai(12, 30, day=TODAY - dt.timedelta(days=23)),
    )
    hours = contact_hours(case.borrower, now=EARLY)
    assert hours.zone == "Asia/Shanghai"
    assert hours.contacts[(3, 19)] == 2 and hours.contacts[(1, 12)] == 3 and hours.payments[(1, 12)] == 1
    assert hours.top(2) == [(1, 12, 3, 1), (3, 19, 2, 0)]
    # On a Wednesday the Wednesday evening, though Mondays at noon have more; on a Friday, the busiest hour.
    assert hours.best_hour(TODAY) == 19
    assert hours.best_hour(TODAY + dt.timedelta(days=2)) == 12


def test_a_reminder_is_scheduled_at_the_best_hour_of_its_day_and_sent_through_the_gate(strategy, frozen_clock):
    evening = _case()
    _reached(evening, _wednesday(1, 19))
    _reached(evening, _wednesday(2, 19))
    no_history = _case()
    frozen_clock.move_to(EARLY)

    reminders_plan(today=TODAY)

    job = ReminderJob.objects.get(case=evening)
    assert job.scheduled_for.astimezone(SHANGHAI) == shanghai(19)
    assert ReminderJob.objects.get(case=no_history).scheduled_for.astimezone(SHANGHAI) == shanghai(9)

    # Not due before its hour; at it, the gate decides (and allows: 19:00 is within CN's 08:00–22:00).
    assert reminders_dispatch(now=shanghai(18, 59), enqueue=lambda ids: None).claimed == [
        ReminderJob.objects.get(case=no_history).pk
    ]
    assert reminders_dispatch(now=shanghai(19, 1), enqueue=lambda ids: None).claimed == [job.pk]
    assert reminder_send(job_id=job.pk, now=shanghai(19, 1)).status == "sent"
    job.refresh_from_db()
    assert job.status == JobStatus.SENT and job.decision.allowed


def test_a_best_hour_at_night_is_never_used(strategy, frozen_clock):
    night_owl = _case()
    for weeks in (1, 2, 3):
        _reached(night_owl, _wednesday(weeks, 23, 30))  # answers at 23:30, inside CN's quiet hours
        _reached(night_owl, _wednesday(weeks, 7, 15))  # and at 07:15, before them
    hours = contact_hours(night_owl.borrower, now=EARLY)
    assert hours.total == 6 and hours.best_hour(TODAY) is None
    frozen_clock.move_to(EARLY)

    reminders_plan(today=TODAY)

    job = ReminderJob.objects.get(case=night_owl)
    local = job.scheduled_for.astimezone(SHANGHAI)
    assert local == shanghai(9)  # the default daytime hour, never 23:30 or 07:15
    assert reminder_send_at(job, local).status == "sent"


def reminder_send_at(job: ReminderJob, at: dt.datetime):
    reminders_dispatch(now=at, enqueue=lambda ids: None)
    return reminder_send(job_id=job.pk, now=at)
