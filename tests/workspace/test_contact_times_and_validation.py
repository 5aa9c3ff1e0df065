"""The case page: a collector records the borrower's inconvenient times (issue 17) and the compliance panel
shows the block with its next allowed time; a supervisor or compliance officer records verification of a
debt disputed within its Regulation F validation period (issue 19)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from borrowers.services import hold_create
from cases.models import CaseEvent
from compliance.actions import Actor, OutreachAction
from compliance.models import ValidationNotice
from compliance.services import outreach_authorize
from outreach.services import validation_notices_send_due
from tests import factories

from .conftest import Place, make_case

pytestmark = pytest.mark.django_db

# 22:00 the evening before in New York at NOW: calls wait for the morning, letters go.
US = Place("US-NY", "America/New_York", "+12125550123", "ny@example.com")


def test_a_collector_records_inconvenient_times_and_the_panel_shows_the_block(client, collector, day_case):
    client.force_login(collector)
    # 11:00 in Shanghai: the borrower says 10:00-12:00 does not suit them.
    url = reverse("case-contact-times", args=[day_case.pk])
    response = client.post(url, {"start": "10:00", "end": "12:00"})
    assert response.status_code == 302
    borrower = day_case.borrower
    borrower.refresh_from_db()
    assert borrower.inconvenient_times == [{"start": "10:00", "end": "12:00"}]
    event = CaseEvent.objects.get(case=day_case, kind="contact_times")
    assert event.actor == collector and event.data["after"] == borrower.inconvenient_times
    assert borrower.history.latest().history_user == collector
    page = client.get(reverse("case-detail", args=[day_case.pk])).content.decode()
    panel = page[page.index('id="compliance-panel"') : page.index("</section>", page.index('id="compliance-panel"'))]
    assert "The borrower said 10:00-12:00 is inconvenient" in panel
    assert "12:00" in panel and "10:00-12:00" in page  # next allowed, and the times on file
    # Letters are not held to it.
    letter = OutreachAction(borrower=borrower, channel="letter", case=day_case, dry_run=True)
    assert outreach_authorize(action=letter, actor=Actor.of_user(collector)).allowed


def test_a_bad_time_is_refused_with_the_reason(client, collector, day_case):
    client.force_login(collector)
    response = client.post(
        reverse("case-contact-times", args=[day_case.pk]), {"start": "10:00"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Give the time from which" in response.content.decode()
    day_case.borrower.refresh_from_db()
    assert day_case.borrower.inconvenient_times == []


@pytest.fixture
def disputed_us_case(collector):
    case = make_case(place=US, assigned_to=collector)
    first = OutreachAction(borrower=case.borrower, channel="letter", case=case, message="Please call us.")
    assert outreach_authorize(action=first, actor=Actor.of_user(collector)).allowed
    validation_notices_send_due()
    notice = ValidationNotice.objects.get(case=case)
    assert notice.status == "sent"
    hold_create(borrower=case.borrower, kind="dispute", loan=case.loan)  # now: after the notice
    return case


def test_a_supervisor_records_verification_from_the_case_page(client, supervisor, collector, disputed_us_case):
    case = disputed_us_case
    client.force_login(collector)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Disputed within the validation period" in page and "validation-verify-form" not in page
    assert client.post(reverse("case-validation-verify", args=[case.pk]), {"note": "x"}).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "validation-verify-form" in page
    response = client.post(reverse("case-validation-verify", args=[case.pk]), {"note": "Ledger copy mailed."})
    assert response.status_code == 302
    notice = ValidationNotice.objects.get(case=case)
    assert notice.verified_by == supervisor and notice.verification_note == "Ledger copy mailed."
    assert CaseEvent.objects.get(case=case, kind="validation_verified").actor == supervisor
    assert "Verification recorded" in client.get(reverse("case-detail", args=[case.pk])).content.decode()


def test_a_compliance_officer_may_record_it_too(client, disputed_us_case):
    officer = factories.UserFactory(username="officer", role=Role.COMPLIANCE, is_staff=True)
    client.force_login(officer)
    response = client.post(reverse("case-validation-verify", args=[disputed_us_case.pk]), {"note": "Verified."})
    assert response.status_code == 302
    assert ValidationNotice.objects.get(case=disputed_us_case).verified_by == officer
