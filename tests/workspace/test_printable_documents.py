"""Printable documents share one head and toolbar (templates/printable_document.html): the document
stylesheet, the print button wired by static/js/print-button.js, a toolbar that is not printed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import LawyerLetter

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def assert_printable(response) -> str:
    assert response.status_code == 200
    assert "printable_document.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert html.count("css/agreement.css") == 1
    assert html.count("js/print-button.js") == 1
    assert html.count("data-print") == 1
    toolbar = html.split('class="no-print toolbar"')[1].split("</div>")[0]
    assert "data-print" in toolbar
    return html


def test_the_lawyer_letter_page_is_a_printable_document(client, supervisor, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    refresh_delinquency(loan_ids=[case.loan_id])
    client.force_login(supervisor)
    today = timezone.localdate().isoformat()
    client.post(
        f"/cases/{case.pk}/legal/",
        {"kind": "referred", "forum": "Fair & Square LLP", "started_on": today, "send_letter": "on"},
    )
    letter = LawyerLetter.objects.get(proceeding__case=case)

    html = assert_printable(client.get(reverse("case-lawyer-letter-page", args=[case.pk, letter.pk])))

    assert 'class="agreement lawyer-letter"' in html
    assert f'href="/cases/{case.pk}/#legal-panel"' in html
