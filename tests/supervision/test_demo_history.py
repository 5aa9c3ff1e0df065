"""The demo's cases carry the stage history their DPD implies, so the dashboard's roll rates and cure
cohorts show real shapes on first run (issue 16, item 2)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from accounts.models import User
from cases.models import Case, CaseEvent, CaseStatus
from compliance import evidence
from contacts.models import ContactAttempt
from supervision import selectors

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=True)
def test_the_seeded_cases_have_a_stage_history_and_the_rolls_are_not_empty():
    call_command("seed_demo", stdout=io.StringIO())
    today = NOW.date()

    late = Case.objects.filter(status=CaseStatus.OPEN, dpd__gte=1)
    assert late.exists()
    for case in late.filter(dpd__gt=60)[:20]:
        events = list(
            CaseEvent.objects.filter(
                case=case, kind__in=[CaseEvent.Kind.OPENED, CaseEvent.Kind.STAGE_CHANGED]
            ).order_by("at", "id")
        )
        # Opened as M1 on the day it went one day past due, then one change per bucket it crossed,
        # ending in the stage it is in now.
        assert events[0].kind == CaseEvent.Kind.OPENED and events[0].new_value == "m1"
        assert events[0].at.date() == today - dt.timedelta(days=case.dpd - 1)
        assert [e.new_value for e in events[1:]][-1] == case.stage
        assert [e.at for e in events] == sorted(e.at for e in events)

    figures = selectors.dashboard(user=User.objects.get(username="admin"), months=6)
    rolled = [rate for rates in figures["roll_rates"].values() for rate in rates if rate is not None]
    assert len(rolled) >= 6 and any(rate > 0 for rate in rolled)
    assert figures["cure"]["cohort"] > 0


@time_machine.travel(NOW, tick=True)
def test_the_demo_has_six_months_of_activity_behind_every_chart():
    """Issue 16, item 6: calls and texts, promises kept and broken, cured delinquencies, refused calls and
    payments credited to a channel and a collector, in each of the six months; the chains verify."""
    out = io.StringIO()
    call_command("seed_demo", "--no-sign-ins", stdout=out)
    assert "History of the last six months" in out.getvalue()
    figures = selectors.dashboard(user=User.objects.get(username="supervisor"), months=6)
    whole = slice(0, 5)  # the five whole months before this one (the current month has just begun)

    assert all(n > 0 for n in figures["contacts"]["contacts_by_month"])
    assert all(rate is not None for rate in figures["contacts"]["by_month"][whole])
    assert all(n > 0 for n in figures["blocks"]["by_month"])
    promises = figures["promises"]
    assert 0 < promises["kept"] < promises["resolved"]
    assert sum(rate is not None for rate in promises["by_month"]) >= 4
    assert all(row["rate"] is not None for row in figures["promise_amounts"])
    cure = figures["cure"]
    assert 0 < cure["cured"] < cure["cohort"]
    assert sum(bool(rate) for rate in cure["by_month"]) >= 3
    recovered = figures["recovered"]
    assert all(sum(1 for amount in months if amount) >= 4 for months in recovered["by_month"].values())
    assert {row["key"] for row in recovered["by_channel"]} >= {"call", "sms"}
    assert {row["label"] for row in recovered["by_collector"]} - {"(no collector)"}
    assert all(row["rate"] for row in figures["liquidation"])
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PLACED, at__lt=NOW - dt.timedelta(days=30)).exists()
    assert Case.objects.filter(
        status=CaseStatus.CLOSED, close_reason="cured", opened_at__lt=NOW - dt.timedelta(days=60)
    ).exists()

    contacts = ContactAttempt.objects.count()
    call_command("seed_demo", "--no-sign-ins", stdout=io.StringIO())
    assert ContactAttempt.objects.count() == contacts  # written once
    assert evidence.verify().ok
