"""A new valid phone clears the borrower's lost-contact flag, whichever API path brings it (issue 15)."""

from __future__ import annotations

import pytest

from borrowers.models import Borrower
from tests.api.helpers import borrower_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/borrowers/"


def _lost(external_id: str = "B-1") -> Borrower:
    borrower = Borrower.objects.get(external_id=external_id)
    borrower.lost_contact = True
    borrower.save(update_fields=["lost_contact"])
    borrower.phones.update(invalid=True)
    return borrower


def test_a_new_phone_by_patch_clears_lost_contact_and_the_history_says_so(api):
    api.post(URL, borrower_payload(), format="json")
    borrower = _lost()
    old_numbers = [{"number": p.number} for p in borrower.phones.all()]

    same = api.patch(f"{URL}B-1/", {"phones": old_numbers}, format="json")
    assert same.status_code == 200 and same.json()["lost_contact"] is True  # no new number, still lost

    r = api.patch(f"{URL}B-1/", {"phones": [*old_numbers, {"number": "+8613700000000"}]}, format="json")

    assert r.status_code == 200, r.json()
    assert r.json()["lost_contact"] is False
    borrower.refresh_from_db()
    assert borrower.lost_contact is False
    assert borrower.history.first().lost_contact is False  # saved with its history row


def test_a_new_phone_by_bulk_upsert_clears_lost_contact_of_that_borrower_only(api):
    api.post(URL, borrower_payload(), format="json")
    api.post(URL, borrower_payload(external_id="B-2", phones=[{"number": "+8613600000000"}]), format="json")
    first, second = _lost("B-1"), _lost("B-2")
    rows = [
        borrower_payload(phones=[{"number": "+8613912345678"}, {"number": "+8613700000000"}]),
        borrower_payload(external_id="B-2", phones=[{"number": "+8613600000000"}]),
    ]

    r = api.post(f"{URL}bulk/", rows, format="json")

    assert r.status_code in (200, 201), r.json()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.lost_contact is False
    assert second.lost_contact is True
