"""A small portfolio spread over every kind of visibility, for the page tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Role, User
from cases.models import Case
from tests import factories

NATIONAL_ID = "310115198804121234"
PHONE = "+8613912345678"
THIRD_PARTY_PHONE = "+8613800001111"


@dataclass
class Portfolio:
    mine: Case  # assigned to `collector`
    colleagues: Case  # assigned to `other_collector`, same team
    other_team: Case  # assigned to a collector of another team
    pool: Case  # unassigned, not placed: the supervisor's pool
    agency: Case  # placed with the agency
    closed: Case  # assigned to `collector`, closed

    @property
    def all(self) -> set[int]:
        return {c.pk for c in (self.mine, self.colleagues, self.other_team, self.pool, self.agency, self.closed)}


@pytest.fixture
def compliance_user(db) -> User:
    return factories.UserFactory(username="compliance", role=Role.COMPLIANCE)


@pytest.fixture
def portfolio(platform, collector, other_collector, agency, agency_collector) -> Portfolio:
    def case(**kwargs) -> Case:
        return factories.CaseFactory(loan__borrower__platform=platform, **kwargs)

    outsider = factories.UserFactory(
        username="west1", role=Role.COLLECTOR, team=factories.TeamFactory(name="Team West")
    )
    mine = case(assigned_to=collector, stage="m2", dpd=45, overdue_amount=Decimal("12345.60"), risk_segment="high")
    borrower = mine.borrower
    borrower.full_name = "张伟"
    borrower.set_national_id(NATIONAL_ID)
    borrower.save()
    factories.PhoneFactory(borrower=borrower, number=PHONE)
    factories.ThirdPartyFactory(borrower=borrower, name="李娜", phone=THIRD_PARTY_PHONE)
    return Portfolio(
        mine=mine,
        colleagues=case(assigned_to=other_collector),
        other_team=case(assigned_to=outsider),
        pool=case(),
        agency=case(agency=agency, assigned_to=agency_collector, stage="m3_plus", dpd=120, placing_team=collector.team),
        closed=case(assigned_to=collector, status="closed"),
    )


def listed_case_ids(response) -> set[int]:
    return {c.pk for c in response.context["cases"]}
