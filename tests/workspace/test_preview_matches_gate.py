"""The workspace's compliance preview judges with the gate's own facts: for the same action at the same
moment, its verdict is the gate's (a dry run, which writes only a decision)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from borrowers.models import Borrower
from compliance.actions import Actor, OutreachAction
from compliance.preview import PREVIEW_MESSAGE, load_histories, preview
from compliance.services import outreach_authorize
from contacts.models import ContactAttempt
from tests import factories

from .conftest import day_place, make_case, night_place

pytestmark = pytest.mark.django_db


def _both(case, channel: str, to: str, at: dt.datetime):
    borrower = (
        Borrower.objects.select_related("platform")
        .prefetch_related("phones", "emails", "opt_outs")
        .get(pk=case.borrower_id)
    )
    seen = preview(
        load_histories([borrower], at=at)[borrower.pk],
        channel=channel,
        to=to,
        at=at,
        loan_id=case.loan_id,
        case_id=case.pk,
    )
    action = OutreachAction(
        borrower=borrower,
        channel=channel,
        to=to,
        loan=case.loan,
        case=case,
        at=at,
        message=PREVIEW_MESSAGE.get(channel, ""),
        dry_run=True,
    )
    gate = outreach_authorize(action=action, actor=Actor.scheduler())
    return seen, gate


def _calls(case, at: dt.datetime, n: int, outcome: str) -> None:
    for i in range(n):
        ContactAttempt.objects.create(
            platform=case.platform, borrower=case.borrower, loan=case.loan, channel="call", direction="outbound",
            party="borrower", to=case.borrower.phones.first().number, outcome=outcome,
            at=at - dt.timedelta(minutes=30 * (i + 1)), actor_kind="scheduler",
        )  # fmt: skip


@pytest.mark.parametrize("situation", ["clear", "night", "cease_hold", "call_cap", "sms_opt_out"])
def test_preview_and_gate_agree(situation):
    place = night_place() if situation == "night" else day_place()
    case = make_case(place=place)
    now = timezone.now().replace(microsecond=0)
    channel, to = ("sms" if situation == "sms_opt_out" else "call"), place.phone
    if situation == "cease_hold":
        factories.HoldFactory(borrower=case.borrower, kind="cease", starts_at=now - dt.timedelta(days=1))
    if situation == "call_cap":
        _calls(case, now, 3, "connected")
    if situation == "sms_opt_out":
        factories.OptOutFactory(borrower=case.borrower, channel="sms", to="")
    seen, gate = _both(case, channel, to, now)
    assert seen.allowed == gate.allowed
    assert sorted(seen.codes) == sorted(r["code"] for r in gate.reasons)
    assert seen.next_allowed_at == gate.next_allowed_at
    if situation != "clear":
        assert not gate.allowed  # each situation really blocks, so agreement is not trivial
