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
