"""A team supervisor keeps sight of the cases they place with an agency (issue 16, item 4): after the
placement, which takes the case from the team's collector, the case page, its plan and its agreement
still answer 200 for the supervisor, as the agencies page links to them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from repayment_plans.services import plan_propose
from supervision import selectors, services
from supervision.models import AgencyContract, reviewable_contacts
from tests.factories import TeamFactory, UserFactory
from tests.repayment_plans.conftest import NOW, TODAY, make_case
from tests.supervision.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


def test_the_team_supervisor_still_reads_a_case_its_plan_and_agreement_after_placing_it(
    client, platform, collector, supervisor, agency, admin_user
):
    AgencyContract.objects.create(agency=agency, evaluation_due_on=TODAY + dt.timedelta(days=90))
    case = make_case(platform)
    case.assigned_to = collector  # a collector of the supervisor's team
    case.save()
    plan = plan_propose(
        case=case,
        kind="settlement",
        user=admin_user,  # within the administrator's limits: active at once, with its agreement
        settlement_amount=Decimal("2000.00"),
        first_due_date=TODAY + dt.timedelta(days=7),
        installment_count=3,
        frequency="monthly",
        reason="hardship",
    )
    assert plan.activated_at is not None
    pages = [
        reverse("case-detail", args=[case.pk]),
        reverse("plan-detail", args=[plan.pk]),
        reverse("plan-agreement", args=[plan.pk]),
        reverse("plan-agreement-pdf", args=[plan.pk]),
    ]
    client.force_login(supervisor)
    assert [client.get(url).status_code for url in pages] == [200, 200, 200, 200]

    services.case_place(case=case, agency=agency, user=supervisor, reason="Unreachable for 60 days")
    case.refresh_from_db()
    assert (case.agency, case.assigned_to) == (agency, None)

    assert [client.get(url).status_code for url in pages] == [200, 200, 200, 200]
    agencies = client.get(reverse("supervision:agencies")).content.decode()
    assert reverse("case-detail", args=[case.pk]) in agencies
    # The team's collector let go of it: the case is the agency's to work now.
    client.force_login(collector)
    assert client.get(pages[0]).status_code == 404


def test_agency_summaries_and_scorecards_follow_the_team_that_placed_the_case(
    client, platform, collector, supervisor, agency, agency_collector, admin_user
):
    """Each team supervisor reads the agency figures and the agency's calls of the cases their own team placed;
    an administrator reads both teams'."""
    AgencyContract.objects.create(agency=agency, evaluation_due_on=TODAY + dt.timedelta(days=90))
    west = TeamFactory(name="Team West")
    west_collector = UserFactory(username="west1", role=Role.COLLECTOR, team=west)
    west_supervisor = UserFactory(username="westsup", role=Role.SUPERVISOR, team=west, is_staff=True)
    ours, theirs = make_case(platform), make_case(platform)
    ours.assigned_to, theirs.assigned_to = collector, west_collector
    ours.save()
    theirs.save()
    services.case_place(case=ours, agency=agency, user=supervisor, reason="Unreachable")
    services.case_place(case=theirs, agency=agency, user=west_supervisor, reason="Unreachable")
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.placing_team, theirs.placing_team) == (supervisor.team, west)

    def placed(user) -> int:
        (summary,) = [s for s in selectors.agency_summaries(user=user) if s.agency == agency]
        return summary.placed_open

    assert (placed(supervisor), placed(west_supervisor), placed(admin_user)) == (1, 1, 2)
    client.force_login(supervisor)
    page = client.get(reverse("supervision:agencies")).content.decode()
    assert reverse("case-detail", args=[ours.pk]) in page
    assert reverse("case-detail", args=[theirs.pk]) not in page
    assert client.get(reverse("case-detail", args=[theirs.pk])).status_code == 404

    # The agency's calls on each case: scorecards of the placing team's supervisor only.
    calls = {
        case.pk: ContactFactory(borrower=case.borrower, case=case, loan=case.loan, actor_user=agency_collector)
        for case in (ours, theirs)
    }
    assert set(reviewable_contacts(supervisor).values_list("pk", flat=True)) >= {calls[ours.pk].pk}
    assert calls[theirs.pk].pk not in set(reviewable_contacts(supervisor).values_list("pk", flat=True))
    assert calls[theirs.pk].pk in set(reviewable_contacts(west_supervisor).values_list("pk", flat=True))
