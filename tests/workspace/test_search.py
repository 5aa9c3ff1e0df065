"""Finding a case for an inbound caller (issue 15, item 3): by name, a phone written any way (the gate's
normalisation), the national-id tail, the borrower's or loan's id; only among the cases the user may see;
masked for agency collectors; the search box in the header for whoever views cases."""

from __future__ import annotations

import pytest

from tests import factories
from workspace.search import case_search, phone_candidates

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller_case(collector):
    case = make_case(place=day_place(), assigned_to=collector)  # mobile +8613912345678
    borrower = case.borrower
    borrower.full_name = "Wang Xiaoming"
    borrower.external_id = "B-77001"
    borrower.set_national_id("110101199001011234")
    borrower.save()
    case.loan.external_id = "LN-5521"
    case.loan.save()
    return case


@pytest.mark.parametrize(
    "text",
    [
        "+8613912345678",
        "+86 139-1234-5678",
        "139 1234 5678",
        "13912345678",
        "8613912345678",
        "0086 139 1234 5678",
        "(139) 1234-5678",
    ],
)
def test_a_phone_number_in_any_format_finds_the_case(collector, caller_case, text):
    assert case_search(collector, text) == [caller_case]


def test_phone_candidates_are_the_gates_e164_forms():
    assert "+8613912345678" in phone_candidates("139 1234 5678")
    assert "+12125550100" in phone_candidates("(212) 555-0100")
    assert phone_candidates("Wang") == set()
    assert phone_candidates("1234") == set()  # too short to be a number: an id tail


@pytest.mark.parametrize("text", ["wang xiao", "Xiaoming", "B-77001", "LN-5521", "1234"])
def test_name_ids_and_national_id_tail_find_the_case(collector, caller_case, text):
    assert case_search(collector, text) == [caller_case]


def test_nothing_else_matches(collector, caller_case):
    other = make_case(place=day_place(), assigned_to=collector)
    other.borrower.phones.update(number="+8613800000001")
    assert case_search(collector, "") == []
    assert case_search(collector, "B-77") == []  # ids match whole, not in part
    assert case_search(collector, "+8613900000000") == []
    assert case_search(collector, "5678") == []  # a phone's tail is not a national-id tail


def test_only_cases_the_user_may_see(collector, other_collector, caller_case):
    theirs = make_case(place=day_place(), assigned_to=other_collector)
    theirs.borrower.full_name = "Wang Dawei"
    theirs.borrower.save()
    theirs.borrower.phones.update(number="+8613800000001")

    assert case_search(collector, "wang") == [caller_case]
    assert case_search(other_collector, "wang") == [theirs]
    assert case_search(other_collector, "13912345678") == []


def test_open_cases_come_first(collector, caller_case):
    closed = factories.CaseFactory(
        loan=factories.LoanFactory(borrower=caller_case.borrower), assigned_to=collector, status="closed"
    )
    assert case_search(collector, "B-77001") == [caller_case, closed]


def test_the_page_lists_the_result_with_a_link(client, collector, caller_case):
    client.force_login(collector)
    response = client.get("/search/", {"q": "139 1234 5678"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/cases/{caller_case.pk}/"' in html
    assert "Wang Xiaoming" in html
    assert "+8613912345678" in html  # a collector sees the full number
    assert "********1234" in html  # nobody sees a full national id


def test_agency_collectors_see_masked_numbers(client, agency_collector, agency):
    case = make_case(place=day_place(), agency=agency)
    client.force_login(agency_collector)
    html = client.get("/search/", {"q": "13912345678"}).content.decode()
    assert f'href="/cases/{case.pk}/"' in html
    assert "+8613912345678" not in html
    assert "+86 139****5678" in html


def test_an_empty_or_unmatched_search_says_so(client, collector):
    client.force_login(collector)
    assert "No case you may see matches" not in client.get("/search/").content.decode()
    assert "No case you may see matches" in client.get("/search/", {"q": "nobody"}).content.decode()


def test_the_header_has_the_search_box_for_who_views_cases(client, collector):
    client.force_login(collector)
    assert 'id="topbar-search"' in client.get("/queue/").content.decode()
    client.logout()
    assert 'id="topbar-search"' not in client.get("/").content.decode()
