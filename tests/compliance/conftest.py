"""Helpers for the gate's tests: borrowers in each jurisdiction and a way to write earlier contacts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from compliance import packs
from compliance.actions import Actor, OutreachAction
from compliance.services import GateResult, outreach_authorize
from contacts.models import ContactAttempt
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_pack_cache():
    # Each test runs in a rolled-back transaction; a pack version cached by one must not leak into the next.
    packs.clear_cache()
    yield
    packs.clear_cache()


def local(zone: str, *args: int) -> dt.datetime:
    """An aware datetime at a wall-clock time in a zone (e.g. local("Asia/Shanghai", 2026, 3, 2, 21, 59))."""
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))


def log(borrower, at: dt.datetime, *, channel: str = "call", outcome: str = "no_answer", **fields) -> ContactAttempt:
    """An earlier contact in the log (written directly: the log is append-only, not gate-only)."""
    fields.setdefault("to", borrower.phones.first().number if borrower.phones.exists() else "")
    fields.setdefault("direction", "outbound")
    fields.setdefault("party", "borrower")
    return ContactAttempt.objects.create(
        platform=borrower.platform,
        borrower=borrower,
        channel=channel,
        outcome=outcome,
        at=at,
        actor_kind="scheduler",
        **fields,
    )


def check(borrower, at: dt.datetime, channel: str = "call", *, actor: Actor | None = None, **fields) -> GateResult:
    """A dry run of an action (its fields as keywords) by a platform, unless another actor is named."""
    fields.setdefault("dry_run", True)
    action = OutreachAction(borrower=borrower, channel=channel, at=at, **fields)
    return outreach_authorize(action=action, actor=actor or Actor("platform"))


def codes(result: GateResult) -> set[str]:
    return {r["code"] for r in result.reasons}


@pytest.fixture
def cn_borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="CN-31")
    factories.PhoneFactory(borrower=borrower, number="+8613912345678")
    return borrower


@pytest.fixture
def us_borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="US-NY", language="en")
    factories.PhoneFactory(borrower=borrower, number="+12125550100", kind="home")
    return borrower


@pytest.fixture
def uk_borrower(platform):
    borrower = factories.BorrowerFactory(platform=platform, region="GB-ENG", language="en")
    factories.PhoneFactory(borrower=borrower, number="+442071234567", kind="home")
    return borrower
