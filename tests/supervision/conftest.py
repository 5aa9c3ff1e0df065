"""A small, hand-made book for the supervision tests: two collectors of one team, an agency, cases,
contacts and decisions on known days, so that every filter and figure has an answer worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import Role
from cases.models import Case
from compliance.models import Decision
from contacts.models import ContactAttempt
from tests.factories import BorrowerFactory, CaseFactory, LoanFactory, UserFactory

from .factories import ContactFactory, DecisionFactory

D1 = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
D2 = D1 + dt.timedelta(days=1)
D3 = D1 + dt.timedelta(days=2)


@dataclass
class Book:
    case1: Case
    case2: Case
    case3: Case
    c1: ContactAttempt
    c2: ContactAttempt
    c3: ContactAttempt
    c4: ContactAttempt
    c5: ContactAttempt
    blocked_overridden: Decision
    blocked_cap: Decision

    def row_ids(self, rows: Any) -> set[tuple[str, int]]:
        return {
            ("contact", r["r_contact"]) if r["r_kind"] == "contact" else ("decision", r["r_decision"]) for r in rows
        }


@pytest.fixture
def compliance_officer(db):
    return UserFactory(username="compliance", role=Role.COMPLIANCE)


@pytest.fixture
def book(platform, collector, other_collector, agency_collector, agency, supervisor) -> Book:
    def case_for(assignee, **kwargs) -> Case:
        borrower = BorrowerFactory(platform=platform, full_name=kwargs.pop("name"))
        return CaseFactory(loan=LoanFactory(borrower=borrower), assigned_to=assignee, **kwargs)

    case1 = case_for(collector, name="Wang Li")
    case2 = case_for(other_collector, name="Zhang Wei")
    # Placed with the agency by the supervisor's team, which keeps sight of it (accounts.roles).
    case3 = case_for(agency_collector, name="Chen Jie", agency=agency, stage="m3_plus", placing_team=supervisor.team)

    def contact(case: Case, actor, at: dt.datetime, **kwargs) -> ContactAttempt:
        decision = kwargs.pop("decision", None)
        if decision is None and kwargs.get("direction", "outbound") == "outbound":
            decision = DecisionFactory(
                borrower=case.borrower,
                case=case,
                loan=case.loan,
                actor_user=actor,
                at=at,
                channel=kwargs.get("channel", "call"),
            )
        return ContactFactory(
            borrower=case.borrower, case=case, loan=case.loan, actor_user=actor, at=at, decision=decision, **kwargs
        )

    c1 = contact(case1, collector, D1, outcome="right_party", notes="Confirmed identity")
    c2 = contact(case2, other_collector, D2, channel="sms", outcome="delivered")
    c3 = contact(case3, agency_collector, D2 + dt.timedelta(hours=1), outcome="no_answer")
    c4 = contact(
        case1, None, D1 + dt.timedelta(hours=2), direction="inbound", outcome="connected", actor_kind="platform"
    )
    blocked_overridden = DecisionFactory(
        borrower=case2.borrower,
        case=case2,
        actor_user=other_collector,
        at=D3,
        allowed=False,
        reasons=[{"code": "quiet_hours", "rule": "quiet_hours", "message_en": "Quiet hours"}],
    )
    override = DecisionFactory(
        borrower=case2.borrower,
        case=case2,
        actor_user=supervisor,
        at=D3 + dt.timedelta(minutes=1),
        override_of=blocked_overridden,
        override_reason="Borrower asked to be called back now",
    )
    c5 = contact(case2, supervisor, D3 + dt.timedelta(minutes=1), decision=override, outcome="promise")
    blocked_cap = DecisionFactory(
        borrower=case1.borrower,
        case=case1,
        actor_user=collector,
        at=D2,
        allowed=False,
        reasons=[
            {"code": "daily_answered_cap", "rule": "daily_answered_cap", "message_en": "Cap"},
            {"code": "quiet_hours", "rule": "quiet_hours", "message_en": "Quiet hours"},
        ],
    )
    return Book(case1, case2, case3, c1, c2, c3, c4, c5, blocked_overridden, blocked_cap)
