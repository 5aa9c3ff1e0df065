"""Personal data on the case page: never a full national id; phone numbers masked for agencies."""

from __future__ import annotations

import pytest

from .conftest import NATIONAL_ID, PHONE, THIRD_PARTY_PHONE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["collector", "admin_user"])
def test_the_national_id_never_appears_in_full(client, request, portfolio, who):
    client.force_login(request.getfixturevalue(who))

    html = client.get(f"/cases/{portfolio.mine.pk}/").content.decode()

    assert NATIONAL_ID not in html
    assert NATIONAL_ID[:-4] not in html
    assert "********1234" in html


def test_collectors_see_the_full_phone_numbers(client, collector, portfolio):
    client.force_login(collector)

    html = client.get(f"/cases/{portfolio.mine.pk}/").content.decode()

    assert PHONE in html
    assert THIRD_PARTY_PHONE in html


def test_agency_collectors_see_masked_phone_numbers(client, agency_collector, portfolio):
    # Put the agency on the borrower's case so that the agency collector may open it.
    case = portfolio.mine
    case.agency = agency_collector.agency
    case.save()
    client.force_login(agency_collector)

    html = client.get(f"/cases/{case.pk}/").content.decode()

    assert PHONE not in html and PHONE[3:] not in html
    assert THIRD_PARTY_PHONE not in html and THIRD_PARTY_PHONE[3:] not in html
    assert "+86 139****5678" in html
    assert "+86 138****1111" in html


def test_the_admin_never_shows_the_national_id_in_full(client, admin_user, portfolio):
    client.force_login(admin_user)
    borrower = portfolio.mine.borrower

    change_page = client.get(f"/admin/borrowers/borrower/{borrower.pk}/change/").content.decode()
    history_page = client.get(f"/admin/borrowers/borrower/{borrower.pk}/history/").content.decode()
    changelist = client.get("/admin/borrowers/borrower/").content.decode()

    for html in (change_page, history_page, changelist):
        assert NATIONAL_ID not in html
        assert borrower.national_id_encrypted not in html
    assert "********1234" in change_page
