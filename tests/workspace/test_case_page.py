"""The case page: who may open it, what it shows, and that a page view writes no decision."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.actions import Actor, OutreachAction
from compliance.models import Decision
from compliance.services import outreach_authorize
from contacts.services import contact_record_outcome
from repayment_plans.models import Promise
from tests import factories

from .conftest import day_place, make_case, night_place

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("collector", {"mine"}),
        ("other_collector", {"colleague"}),
        ("agency_collector", {"placed"}),
        ("supervisor", {"mine", "colleague", "placed"}),  # the placement their team made is theirs too
        ("admin_user", {"mine", "colleague", "placed", "other_team"}),
    ],
)
def test_each_role_opens_only_the_cases_it_may_see(client, request, who, sees, collector, other_collector, agency):
    place = day_place()
    cases = {
        "mine": make_case(place=place, assigned_to=collector),
        "colleague": make_case(place=place, assigned_to=other_collector),
        "placed": make_case(place=place, agency=agency, placing_team=collector.team),
        "other_team": make_case(
            place=place, assigned_to=factories.UserFactory(team=factories.TeamFactory(name="West"))
        ),
    }
    client.force_login(request.getfixturevalue(who))

    status = {name: client.get(f"/cases/{case.pk}/").status_code for name, case in cases.items()}

    assert {name for name, code in status.items() if code == 200} == sees
    assert {code for name, code in status.items() if name not in sees} <= {404}


def test_the_compliance_panel_shows_a_quiet_hours_block_in_both_times(client, collector):
    collector.timezone = "Europe/Paris"
    collector.save()
    case = make_case(place=night_place(), assigned_to=collector)
    client.force_login(collector)

    response = client.get(f"/cases/{case.pk}/")

    html = response.content.decode()
    panel = response.context["verdicts"]
    call = panel["call"][0]
    assert not call.allowed and call.codes == ["quiet_hours"]
    # Letters are exempt from quiet hours; everything else waits for the morning.
    assert panel["letter"][0].allowed
    assert not panel["sms"][0].allowed
    borrower_zone = zoneinfo.ZoneInfo(case.borrower.timezone)
    assert call.next_allowed_at.astimezone(borrower_zone).strftime("%H:%M") == "08:00"
    assert "Outside the permitted hours" in html
    assert "borrower's time" in html and "your time (Europe/Paris)" in html
    assert 'datetime="' + call.next_allowed_at.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).isoformat() in html
    # Blocked: no call button, the reason instead.
    assert 'id="call-form"' not in html
    assert "Calls are not allowed now." in html
    assert not Decision.objects.exists()


def test_an_allowed_call_is_offered(client, collector, day_case):
    client.force_login(collector)

    html = client.get(f"/cases/{day_case.pk}/").content.decode()

    assert 'id="call-form"' in html
    assert day_case.borrower.phones.get().number in html


def test_agency_collectors_see_masked_numbers_everywhere_on_the_page(client, agency_collector):
    case = make_case(place=day_place(), agency=agency_collector.agency)
    number = case.borrower.phones.get().number
    client.force_login(agency_collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert number not in html and number[-8:] not in html
    assert number[-4:] in html  # masked, but the last digits tell numbers apart


def test_the_timeline_merges_contacts_promises_payments_holds_and_blocks(client, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    call = OutreachAction(borrower=case.borrower, channel="call", case=case)
    gate = outreach_authorize(action=call, actor=Actor.of_user(collector))
    contact_record_outcome(contact=gate.contact, outcome="no_answer", notes="rang twice")
    Promise.objects.create(case=case, amount=Decimal("300"), due_date=timezone.localdate() + dt.timedelta(days=3))
    factories.HoldFactory(borrower=case.borrower, kind="dispute", note="says it was paid")
    outreach_authorize(action=call, actor=Actor.of_user(collector))
    client.force_login(collector)

    response = client.get(f"/cases/{case.pk}/")

    kinds = [item.kind for item in response.context["timeline"]]
    assert {"contact", "promise", "hold", "block"} <= set(kinds)
    html = response.content.decode()
    assert "rang twice" in html
    assert "says it was paid" in html
    assert "The debt is disputed" in html


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_case_page_costs_the_same_queries_however_long_the_history(client, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    client.force_login(collector)
    client.get(f"/cases/{case.pk}/")
    before = _queries(client, f"/cases/{case.pk}/")
    for _ in range(3):
        call = OutreachAction(borrower=case.borrower, channel="call", case=case)
        gate = outreach_authorize(action=call, actor=Actor.of_user(collector))
        contact_record_outcome(contact=gate.contact, outcome="no_answer")
        Promise.objects.create(case=case, amount=Decimal("10"), due_date=timezone.localdate())
        factories.PhoneFactory(borrower=case.borrower)
        factories.HoldFactory(borrower=case.borrower, kind="no_work_contact")

    after = _queries(client, f"/cases/{case.pk}/")

    assert after == before
    # 30, two for "why this segment": the strategy that governs the case, the borrower's contact hours;
    # two for the pause, write-off and legal path panel: the loan's pauses, the case's legal proceedings;
    # and two for the inbound call's script: the borrower's packs' scripts and their disclosures.
    assert after <= 36
