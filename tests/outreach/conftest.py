"""Cases with installment schedules, the demo strategy, an outbox directory per test, and the clock at a
fixed instant for every test, so that nothing here depends on the hour or the date the suite runs at."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from compliance import packs
from outreach.default_strategies import seed_strategies
from outreach.models import ReminderJob, StrategyStep
from tests import factories

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Every test starts at this instant (the clock then ticks on): 11:00 in Shanghai, the same calendar day
# there as in UTC (the server's TIME_ZONE), so "today" is one day for the planner, the gate and the tests.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    """The clock at NOW, ticking; a test that needs the real clock (a worker in a subprocess) overrides it."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_pack_cache():
    # The gate caches rule-pack versions; each test's rolled-back transaction must not leak one.
    packs.clear_cache()
    yield
    packs.clear_cache()


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path) -> Path:
    """The file gateway writes here, so tests can read exactly what went out."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.SMS_GATEWAY = "file"
    settings.VOICE_GATEWAY = "file"
    return settings.OUTBOX_DIR


@pytest.fixture
def strategy(db):
    return seed_strategies()


def step(strategy, offset: int, channel: str = "sms") -> StrategyStep:
    return strategy.steps.get(offset_days=offset, channel=channel)


def shanghai(hour: int, minute: int = 0, *, day: dt.date | None = None) -> dt.datetime:
    """An aware time at a Shanghai wall-clock hour on `day` (default: TODAY, the frozen clock's day)."""
    day = day or TODAY
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def make_case(
    *,
    platform=None,
    due_in_days: int = 0,
    today: dt.date | None = None,
    phone: bool = True,
    borrower=None,
    **case_fields,
):
    """An open case whose oldest unpaid installment falls `due_in_days` from today (negative: overdue)."""
    today = today or timezone.localdate()
    if borrower is None:
        borrower = factories.BorrowerFactory(**({"platform": platform} if platform else {}))
        if phone:
            factories.PhoneFactory(borrower=borrower)
    loan = factories.LoanFactory(borrower=borrower)
    factories.InstallmentFactory(
        loan=loan,
        seq=1,
        due_date=today + dt.timedelta(days=due_in_days),
        principal_due=Decimal("1000.00"),
        interest_due=Decimal("0"),
        fee_due=Decimal("0"),
    )
    dpd = max(-due_in_days, 0)
    case_fields.setdefault("dpd", dpd)
    case_fields.setdefault("stage", "pre_due" if dpd == 0 else "m1")
    case_fields.setdefault("overdue_amount", Decimal("1000.00") if dpd else Decimal("0"))
    return factories.CaseFactory(loan=loan, **case_fields)


def due_job(case, strategy_step, *, scheduled_for: dt.datetime | None = None, **fields) -> ReminderJob:
    """A pending job, as the planner would write it, due at `scheduled_for`."""
    installment = case.loan.installments.order_by("due_date").first()
    return ReminderJob.objects.create(
        case=case,
        step=strategy_step,
        due_date=installment.due_date,
        scheduled_for=scheduled_for or timezone.now() - dt.timedelta(minutes=1),
        **fields,
    )


def outbox_lines(outbox: Path, channel: str = "sms") -> list[dict]:
    path = outbox / f"{channel}.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
