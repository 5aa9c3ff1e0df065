"""A collector's "wrong number" outcome marks the number invalid: nothing offers or dials it again (issue 15)."""

from __future__ import annotations

import pytest

from contacts.models import ContactAttempt
from contacts.services import contact_record_outcome
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_wrong_number_recorded_by_the_collector_marks_the_phone_invalid(client, collector, day_case):
    phone = day_case.borrower.phones.get()
    other = factories.PhoneFactory(borrower=day_case.borrower, number="+8613900000001")
    client.force_login(collector)
    client.post(f"/cases/{day_case.pk}/call/", {"point": f"phone:{phone.pk}"}, **HTMX)
    contact = ContactAttempt.objects.get()

    client.post(f"/cases/{day_case.pk}/contacts/{contact.pk}/outcome/", {"outcome": "wrong_number"}, **HTMX)

    phone.refresh_from_db()
    other.refresh_from_db()
    assert phone.invalid is True and other.invalid is False
    assert phone.history.first().invalid is True  # the change is in the phone's history
    page = client.get(f"/cases/{day_case.pk}/").content.decode()
    assert f'value="phone:{phone.pk}"' not in page and f'value="phone:{other.pk}"' in page


def test_other_outcomes_and_third_party_calls_leave_the_phone_valid(client, collector, day_case):
    phone = day_case.borrower.phones.get()
    client.force_login(collector)
    client.post(f"/cases/{day_case.pk}/call/", {"point": f"phone:{phone.pk}"}, **HTMX)
    contact = ContactAttempt.objects.get()
    contact_record_outcome(contact=contact, outcome="no_answer")
    phone.refresh_from_db()
    assert phone.invalid is False

    # The same number reached as a third party's: a wrong number there says nothing of the borrower's phone.
    third = ContactAttempt.objects.create(
        platform=day_case.platform,
        borrower=day_case.borrower,
        case=day_case,
        channel="call",
        party="third_party",
        to=contact.to,
        at=contact.at,
        actor_kind="user",
        actor_user=collector,
    )
    contact_record_outcome(contact=third, outcome="wrong_number")
    phone.refresh_from_db()
    assert phone.invalid is False
