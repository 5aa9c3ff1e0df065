"""The work queue: whose cases, in which order, what "callable now" says, and what it costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from compliance import packs
from compliance.models import Decision
from repayment_plans.models import Promise
from tests import factories

from .conftest import day_place, make_case, night_place

pytestmark = pytest.mark.django_db


def _listed(response) -> list[int]:
    return [c.pk for c in response.context["rows"]]


def test_a_collector_sees_only_their_open_cases_riskiest_and_largest_first(client, collector, other_collector):
    place = day_place()
    low = make_case(place=place, assigned_to=collector, risk_segment="low", overdue_amount=Decimal("9000"))
    high_small = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("100"))
    high_big = make_case(place=place, assigned_to=collector, risk_segment="high", overdue_amount=Decimal("5000"))
    make_case(place=place, assigned_to=collector, status="closed")
    make_case(place=place, assigned_to=other_collector, risk_segment="high", overdue_amount=Decimal("99999"))
    client.force_login(collector)

    response = client.get("/queue/")

    assert response.status_code == 200
    assert _listed(response) == [high_big.pk, high_small.pk, low.pk]


def test_a_promise_due_today_comes_before_an_equal_case_and_can_be_filtered(client, collector):
    place = day_place()
    plain = make_case(place=place, assigned_to=collector, risk_segment="high")
    promised = make_case(place=place, assigned_to=collector, risk_segment="high")
    Promise.objects.create(case=promised, amount=Decimal("50"), due_date=timezone.localdate())
    client.force_login(collector)

    assert _listed(client.get("/queue/")) == [promised.pk, plain.pk]
    assert _listed(client.get("/queue/?promise_due=1")) == [promised.pk]


def test_callable_now_is_a_preview_that_writes_no_decision(client, collector):
    awake = make_case(place=day_place(), assigned_to=collector)
    asleep = make_case(place=night_place(), assigned_to=collector)
    client.force_login(collector)

    response = client.get("/queue/")

    verdicts = {c.pk: c.call_verdict for c in response.context["rows"]}
    assert verdicts[awake.pk].allowed
    assert not verdicts[asleep.pk].allowed
    assert verdicts[asleep.pk].codes == ["quiet_hours"]
    assert verdicts[asleep.pk].next_allowed_at > timezone.now()
    assert "Outside the permitted hours" in response.content.decode()
    assert _listed(client.get("/queue/?callable=1")) == [awake.pk]
    assert not Decision.objects.exists()


def test_a_cease_hold_makes_a_case_not_callable(client, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    factories.HoldFactory(borrower=case.borrower, kind="cease")
    client.force_login(collector)

    (row,) = client.get("/queue/").context["rows"]

    assert row.call_verdict.codes == ["hold_cease"]
    assert row.call_verdict.next_allowed_at is None
    assert _listed(client.get("/queue/?callable=1")) == []


def test_filters_by_stage_and_segment(client, collector):
    place = day_place()
    m1_low = make_case(place=place, assigned_to=collector, stage="m1", risk_segment="low")
    make_case(place=place, assigned_to=collector, stage="m2", risk_segment="low")
    make_case(place=place, assigned_to=collector, stage="m1", risk_segment="high")
    client.force_login(collector)

    assert _listed(client.get("/queue/?stage=m1&segment=low")) == [m1_low.pk]


def test_agency_collectors_see_only_their_agency_cases(client, agency_collector, collector):
    place = day_place()
    placed = make_case(place=place, agency=agency_collector.agency)
    make_case(place=place, assigned_to=collector)
    client.force_login(agency_collector)

    assert _listed(client.get("/queue/")) == [placed.pk]


def test_a_supervisor_chooses_whose_queue_to_view(client, supervisor, collector, other_collector):
    place = day_place()
    mine = make_case(place=place, assigned_to=collector)
    theirs = make_case(place=place, assigned_to=other_collector)
    outsider = factories.UserFactory(role=Role.COLLECTOR, team=factories.TeamFactory())
    make_case(place=place, assigned_to=outsider)
    client.force_login(supervisor)

    everyone = client.get("/queue/")
    only_collector = client.get(f"/queue/?collector={collector.pk}")
    outside_team = client.get(f"/queue/?collector={outsider.pk}")

    assert set(_listed(everyone)) == {mine.pk, theirs.pk}
    assert {u.pk for u in everyone.context["owners"]} == {collector.pk, other_collector.pk}
    assert _listed(only_collector) == [mine.pk]
    # A collector outside the team is not a choice: the filter is ignored, not widened.
    assert set(_listed(outside_team)) == {mine.pk, theirs.pk}


def test_a_collector_cannot_open_a_colleagues_queue(client, collector, other_collector):
    place = day_place()
    mine = make_case(place=place, assigned_to=collector)
    make_case(place=place, assigned_to=other_collector)
    client.force_login(collector)

    assert _listed(client.get(f"/queue/?collector={other_collector.pk}")) == [mine.pk]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_queries_for_two_or_twenty_cases(client, collector):
    place = day_place()
    for _ in range(2):
        make_case(place=place, assigned_to=collector)
    client.force_login(collector)
    client.get("/queue/")  # warm the session
    # Warm every rule pack: which packs the later cases need depends on the hour (day/night places).
    for code in packs.PACK_CODES:
        packs.active_pack(code)
    few = _queries(client, "/queue/")
    for i in range(18):
        case = make_case(place=night_place() if i % 2 else place, assigned_to=collector)
        factories.HoldFactory(borrower=case.borrower, kind="dispute")
        factories.PhoneFactory(borrower=case.borrower)

    many = _queries(client, "/queue/")

    assert few == many
    # The page (12), the full preview of the queue's awake cases for "callable now" (8: issue 15) and My
    # day's tasks and promises (4).
    assert many <= 25


def test_next_case_follows_the_queue_order(client, collector):
    place = day_place()
    first = make_case(place=place, assigned_to=collector, risk_segment="high")
    second = make_case(place=place, assigned_to=collector, risk_segment="low")
    client.force_login(collector)

    assert client.get("/queue/next/")["Location"] == f"/cases/{first.pk}/"
    assert client.get(f"/queue/next/?after={first.pk}")["Location"] == f"/cases/{second.pk}/"
    assert client.get(f"/queue/next/?after={second.pk}")["Location"] == f"/cases/{first.pk}/"


def test_collectors_land_on_their_queue_and_supervisors_on_the_case_list(client, collector, supervisor):
    response = client.post("/", {"username": "collector", "password": "pass12345!"})
    assert response["Location"] == "/queue/"
    client.logout()

    response = client.post("/", {"username": "supervisor", "password": "pass12345!"})
    assert response["Location"] == "/cases/"


def test_the_queue_is_for_signed_in_users_only(client):
    assert client.get("/queue/")["Location"] == "/?next=/queue/"


@pytest.mark.postgres
def test_next_case_when_nobody_in_the_queue_may_be_called_now(client, collector):
    """At NOW it is night for every borrower of this queue: the "callable now" hint is the constant false,
    which PostgreSQL refused in ORDER BY (`non-integer constant in ORDER BY`) when the ids were read alone."""
    first = make_case(place=night_place(), assigned_to=collector, risk_segment="high")
    second = make_case(place=night_place(), assigned_to=collector, risk_segment="low")
    client.force_login(collector)

    # Nobody may be called now: "Next case" opens none of them (issue 15) and says when the first one may be.
    assert client.get("/queue/next/")["Location"] == "/queue/"
    assert client.get(f"/queue/next/?after={first.pk}")["Location"] == "/queue/"
    assert client.get("/queue/?callable=1").status_code == 200
    page = client.get("/queue/")
    assert page.context["callable"].next_case_id in (first.pk, second.pk)
    assert [c.pk for c in page.context["rows"]] == [first.pk, second.pk]
