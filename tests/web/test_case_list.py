"""The case list: columns, filters, paging, htmx fragments and a constant number of queries."""

from __future__ import annotations

import pytest

from accounts.models import User
from cases.models import Case
from tests import factories

from .conftest import listed_case_ids

pytestmark = pytest.mark.django_db


def _cases_for(user: User, n: int, **kwargs) -> list[Case]:
    return [
        factories.CaseFactory(
            assigned_to=user,
            loan__borrower__region="US-NY",
            loan__borrower__timezone="",
            loan__currency="USD",
            **kwargs,
        )
        for _ in range(n)
    ]


def _query_count(client, django_assert_max_num_queries, budget: int) -> int:
    with django_assert_max_num_queries(budget) as captured:
        response = client.get("/cases/")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_case_list_costs_the_same_queries_for_5_or_30_cases(client, collector, django_assert_max_num_queries):
    client.force_login(collector)
    _cases_for(collector, 5)
    with_5 = _query_count(client, django_assert_max_num_queries, 8)

    _cases_for(collector, 25)
    with_30 = _query_count(client, django_assert_max_num_queries, 8)

    assert with_5 == with_30


def test_a_row_shows_the_borrower_stage_amount_with_currency_and_assignee(client, collector, portfolio):
    client.force_login(collector)

    response = client.get("/cases/")
    html = response.content.decode()

    case = portfolio.mine
    assert f'href="/cases/{case.pk}/"' in html
    assert "张伟" in html
    assert "CN-31" in html
    assert "M2 (31-60 days)" in html
    assert "12,345.60" in html and "CNY" in html
    assert "High" in html
    assert "collector" in html


def test_local_time_is_the_borrowers(client, collector):
    client.force_login(collector)
    _cases_for(collector, 1)

    (case,) = client.get("/cases/").context["cases"]

    # No zone on the borrower record: the region's zone is used.
    assert case.borrower_local_time.tzinfo.key == "America/New_York"


def test_amounts_are_formatted_for_the_chinese_locale_too(client, collector, portfolio):
    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)

    html = client.get("/cases/").content.decode()

    # Grouped by thousands as in English (config/formats/zh_Hans: Django's own zh_Hans format has no separator).
    assert "12,345.60" in html and "12345.60" not in html and "CNY" in html
    assert "M2（逾期31-60天）" in html


def test_it_filters_by_stage_and_segment(client, admin_user, portfolio):
    client.force_login(admin_user)

    assert listed_case_ids(client.get("/cases/?stage=m3_plus")) == {portfolio.agency.pk}
    assert listed_case_ids(client.get("/cases/?risk_segment=high")) == {portfolio.mine.pk}
    assert listed_case_ids(client.get("/cases/?status=closed")) == {portfolio.closed.pk}


def test_it_pages_25_at_a_time(client, collector):
    client.force_login(collector)
    _cases_for(collector, 30)

    first = client.get("/cases/")
    second = client.get("/cases/?page=2")

    assert len(first.context["cases"]) == 25
    assert len(second.context["cases"]) == 5
    assert listed_case_ids(first).isdisjoint(listed_case_ids(second))
    assert 'href="?page=2"' in first.content.decode()


def test_htmx_filter_requests_get_only_the_table(client, collector, portfolio):
    client.force_login(collector)

    response = client.get("/cases/?stage=m2", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "<table" in html
    assert listed_case_ids(response) == {portfolio.mine.pk}


def test_an_empty_list_says_so(client, collector):
    client.force_login(collector)

    assert "No cases match these filters." in client.get("/cases/").content.decode()
