"""The lawyer letter as a PDF (issue 18, item 7): produced in the borrower's language (zh-hans, en) when
the gate allows the letter, stored with it, hashed into the borrower's evidence chain the way a plan's
agreement PDF is (the same core.pdf and compliance.evidence.link_document), served to those who see the
case; an edit of the stored file breaks the chain."""

from __future__ import annotations

import base64
import hashlib
import re
import zlib

import pytest
from django.utils import timezone

from cases.delinquency import refresh_delinquency
from cases.models import LawyerLetter
from cases.pauses import loan_pause_create
from compliance import evidence
from compliance.models import EvidenceDocument, EvidenceKind, EvidenceLink
from outreach.lawyer_letters import LETTER_PDF, LETTER_TEXT

from .conftest import day_place, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(collector):
    case = make_case(place=day_place(), assigned_to=collector)
    refresh_delinquency(loan_ids=[case.loan_id])
    return case


def _refer(client, supervisor, case, forum: str) -> LawyerLetter:
    client.force_login(supervisor)
    response = client.post(
        f"/cases/{case.pk}/legal/",
        {"kind": "referred", "forum": forum, "started_on": timezone.localdate().isoformat(), "send_letter": "on"},
    )
    assert response.status_code == 302
    return LawyerLetter.objects.get(proceeding__case=case)


def _text_of(pdf: bytes) -> bytes:
    """The page content streams, decoded as reportlab writes them (ASCII85, then Flate)."""
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        chunk = match.group(1).strip()
        try:
            out += zlib.decompress(base64.a85decode(chunk if chunk.startswith(b"<~") else b"<~" + chunk, adobe=True))
        except (ValueError, zlib.error):
            continue
    return out


@pytest.mark.parametrize(("language", "font"), [("en", b"Helvetica"), ("zh-hans", b"STSong-Light")])
def test_the_letter_pdf_is_stored_hashed_into_the_chain_and_served(client, supervisor, collector, case, language, font):
    case.borrower.language = language
    case.borrower.save()
    letter = _refer(client, supervisor, case, "Fair & Square LLP")
    assert letter.status == LawyerLetter.Status.QUEUED_FOR_PRINT and letter.language == language
    with letter.pdf.open("rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF") and letter.pdf.name.endswith(f"-{language}.pdf")
    assert font in data  # the CJK font for Chinese, Helvetica for English (core.pdf)
    if language == "en":
        assert b"Fair & Square LLP" in _text_of(data)

    # Hashed like the agreement PDF: the digest of the stored bytes, tied to the gate's decision, on the chain.
    document = EvidenceDocument.objects.get(kind=LETTER_PDF, source_id=letter.pk)
    assert (document.source, document.source_field, document.storage_name) == (
        "cases.LawyerLetter",
        "pdf",
        letter.pdf.name,
    )
    assert document.sha256 == hashlib.sha256(data).hexdigest() and document.decision_id == letter.decision_id
    assert EvidenceLink.objects.filter(kind=EvidenceKind.DOCUMENT, object_id=document.pk).count() == 1
    assert EvidenceDocument.objects.filter(kind=LETTER_TEXT, source_id=letter.pk).exists()
    assert evidence.verify(borrower_ids=[case.borrower_id]).ok

    # The case's collector reads it; the file served is the one hashed.
    client.force_login(collector)
    served = client.get(f"/cases/{case.pk}/lawyer-letters/{letter.pk}/letter.pdf")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert b"".join(served.streaming_content if served.streaming else [served.content]) == data


def test_an_edited_letter_pdf_breaks_the_evidence(client, supervisor, case):
    letter = _refer(client, supervisor, case, "Fair & Square LLP")
    with open(letter.pdf.path, "rb") as fh:
        original = fh.read()
    with open(letter.pdf.path, "wb") as fh:
        fh.write(original[:-20] + bytes([original[-20] ^ 1]) + original[-19:])
    report = evidence.verify(borrower_ids=[case.borrower_id])
    (failure,) = report.failures
    assert (failure.kind, failure.problem) == (EvidenceKind.DOCUMENT, evidence.Problem.ALTERED)
    assert "cases.LawyerLetter" in failure.detail


def test_a_blocked_letter_has_no_pdf(client, supervisor, case):
    loan_pause_create(loan=case.loan, starts_on=timezone.localdate(), reason="complaint under review")
    letter = _refer(client, supervisor, case, "Fair & Square LLP")
    assert letter.status == LawyerLetter.Status.BLOCKED and not letter.pdf
    assert not EvidenceDocument.objects.filter(kind=LETTER_PDF).exists()
    response = client.get(f"/cases/{case.pk}/lawyer-letters/{letter.pk}/letter.pdf")
    assert response.status_code == 404
