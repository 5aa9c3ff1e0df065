"""Each role sees its own cases on the list, and nothing else exists for it (404)."""

from __future__ import annotations

import pytest

from tests import factories

from .conftest import listed_case_ids

pytestmark = pytest.mark.django_db

ALL_STATUSES = "/cases/?status="


def test_a_collector_sees_the_cases_assigned_to_them(client, collector, portfolio):
    client.force_login(collector)

    assert listed_case_ids(client.get(ALL_STATUSES)) == {portfolio.mine.pk, portfolio.closed.pk}
    # The work list shows open cases unless asked otherwise.
    assert listed_case_ids(client.get("/cases/")) == {portfolio.mine.pk}


def test_an_agency_collector_sees_only_their_agencys_cases(client, agency_collector, portfolio):
    client.force_login(agency_collector)

    assert listed_case_ids(client.get(ALL_STATUSES)) == {portfolio.agency.pk}


def test_a_supervisor_sees_the_teams_cases_the_unassigned_pool_and_agency_placements(client, supervisor, portfolio):
    """One rule for the supervisor everywhere (accounts.roles.case_filter): the cases they answer for,
    agency placements included, which they manage, audit and recall on the supervision pages."""
    client.force_login(supervisor)

    assert listed_case_ids(client.get(ALL_STATUSES)) == {
        portfolio.mine.pk,
        portfolio.colleagues.pk,
        portfolio.closed.pk,
        portfolio.pool.pk,
        portfolio.agency.pk,
    }


def test_a_supervisor_does_not_see_another_teams_agency_placements(client, supervisor, portfolio, agency):
    """Visibility follows responsibility: a case another team placed with the agency is that team's."""
    west = factories.TeamFactory(name="Team West placements")
    theirs = factories.CaseFactory(
        loan__borrower__platform=portfolio.mine.platform, agency=agency, stage="m3_plus", placing_team=west
    )
    client.force_login(supervisor)

    assert theirs.pk not in listed_case_ids(client.get(ALL_STATUSES))
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    assert client.get(f"/cases/{portfolio.agency.pk}/").status_code == 200


@pytest.mark.parametrize("who", ["admin_user", "compliance_user"])
def test_administrators_and_compliance_see_every_case(client, request, who, portfolio):
    client.force_login(request.getfixturevalue(who))

    assert listed_case_ids(client.get(ALL_STATUSES)) == portfolio.all


@pytest.mark.parametrize(
    ("who", "case"),
    [
        ("collector", "colleagues"),
        ("collector", "agency"),
        ("collector", "pool"),
        ("agency_collector", "mine"),
        ("supervisor", "other_team"),
    ],
)
def test_a_case_the_user_may_not_see_answers_404(client, request, portfolio, who, case):
    client.force_login(request.getfixturevalue(who))

    assert client.get(f"/cases/{getattr(portfolio, case).pk}/").status_code == 404


def test_a_case_that_does_not_exist_answers_404(client, admin_user, portfolio):
    client.force_login(admin_user)

    assert client.get(f"/cases/{max(portfolio.all) + 1000}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "case"),
    [("collector", "mine"), ("agency_collector", "agency"), ("supervisor", "pool"), ("supervisor", "agency")],
)
def test_a_visible_case_opens(client, request, portfolio, who, case):
    client.force_login(request.getfixturevalue(who))
    target = getattr(portfolio, case)

    response = client.get(f"/cases/{target.pk}/")

    assert response.status_code == 200
    assert response.context["case"].pk == target.pk
    assert target.loan.external_id in response.content.decode()
