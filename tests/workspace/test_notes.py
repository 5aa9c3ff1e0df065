"""A note on a case (issue 15, item 9: the "note" of the keyboard shortcuts): a NOTE event on the timeline."""

from __future__ import annotations

import pytest

from accounts.models import Role
from cases.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_note_lands_on_the_timeline_with_its_author(client, collector, day_case):
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/note/", {"text": "  Borrower travels until Monday  "}, **HTMX)

    assert "Note added." in response.content.decode()
    note = CaseEvent.objects.get(case=day_case, kind=CaseEvent.Kind.NOTE)
    assert (note.reason, note.actor) == ("Borrower travels until Monday", collector)
    timeline = client.get(f"/cases/{day_case.pk}/").content.decode().split('id="timeline-panel"')[1]
    assert "Borrower travels until Monday" in timeline


@pytest.mark.parametrize(("text", "error"), [("   ", "This field is required."), ("x" * 2001, "at most 2000")])
def test_an_empty_or_too_long_note_is_refused(client, collector, day_case, text, error):
    client.force_login(collector)

    response = client.post(f"/cases/{day_case.pk}/note/", {"text": text}, **HTMX)

    assert error in response.content.decode()
    assert not CaseEvent.objects.filter(case=day_case, kind=CaseEvent.Kind.NOTE).exists()


def test_a_note_needs_the_right_to_work_cases(client, team, day_case):
    client.force_login(factories.UserFactory(role=Role.COMPLIANCE, team=team))

    assert client.post(f"/cases/{day_case.pk}/note/", {"text": "x"}).status_code == 403
    assert not CaseEvent.objects.filter(case=day_case, kind=CaseEvent.Kind.NOTE).exists()
