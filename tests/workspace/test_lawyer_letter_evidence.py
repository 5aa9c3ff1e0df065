"""A lawyer letter's stored body is on the evidence chain from the moment it goes to print: an edit of it
afterwards is caught by verify_evidence (issue 16, item 1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import LawyerLetter
from compliance import evidence
from compliance.models import EvidenceDocument, EvidenceKind

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


def test_an_edited_lawyer_letter_breaks_the_evidence(client, supervisor, collector):
    case = make_case(place=day_place(), assigned_to=collector)
    refresh_delinquency(loan_ids=[case.loan_id])
    client.force_login(supervisor)
    today = timezone.localdate().isoformat()
    client.post(
        f"/cases/{case.pk}/legal/",
        {"kind": "referred", "forum": "Fair & Square LLP", "started_on": today, "send_letter": "on"},
    )
    letter = LawyerLetter.objects.get(proceeding__case=case, status=LawyerLetter.Status.QUEUED_FOR_PRINT)
    # The letter's text; its PDF is a second document on the chain (tests/workspace/test_lawyer_letter_pdf.py).
    document = EvidenceDocument.objects.get(source="cases.LawyerLetter", source_id=letter.pk, source_field="body")
    assert (document.kind, document.decision_id) == ("lawyer_letter", letter.decision_id)
    assert evidence.verify(borrower_ids=[case.borrower_id]).ok

    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_lawyerletter SET body = body || %s WHERE id = %s", [" Pay today.", letter.pk])
    (failure,) = evidence.verify(borrower_ids=[case.borrower_id]).failures
    assert (failure.kind, failure.problem, failure.object_id) == (
        EvidenceKind.DOCUMENT,
        evidence.Problem.ALTERED,
        document.pk,
    )
