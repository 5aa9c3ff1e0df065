"""Agreement PDFs are on the evidence chain: the digest of the stored file when it is produced and when
it is sent, and verify_evidence catches the file being edited or removed afterwards, or the digest
record being rewritten."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from compliance import evidence
from compliance.models import EvidenceDocument, EvidenceKind, EvidenceLink
from repayment_plans.agreement import AGREEMENT_PDF, agreement_send
from repayment_plans.services import plan_propose

from .conftest import TODAY, make_case

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _plan(platform, user, **borrower_fields):
    case = make_case(platform, **borrower_fields)
    return plan_propose(
        case=case,
        kind="settlement",
        user=user,
        settlement_amount=Decimal("2000.00"),
        first_due_date=TODAY + dt.timedelta(days=7),
        installment_count=3,
        frequency="monthly",
        reason="hardship",
    )


def _overwrite(plan, data: bytes) -> None:
    with open(plan.agreement_pdf.path, "wb") as fh:
        fh.write(data)


def test_the_produced_pdf_is_hashed_into_the_chain_and_verifies(platform, admin_user):
    plan = _plan(platform, admin_user)
    (document,) = EvidenceDocument.objects.filter(source="repayment_plans.Plan", source_id=plan.pk)
    plan.agreement_pdf.open("rb")
    data = plan.agreement_pdf.read()
    plan.agreement_pdf.close()
    assert document.kind == AGREEMENT_PDF and document.decision_id is None
    assert document.size == len(data) and document.storage_name == plan.agreement_pdf.name
    assert EvidenceLink.objects.filter(kind=EvidenceKind.DOCUMENT, object_id=document.pk).count() == 1
    report = evidence.verify(borrower_ids=[plan.case.borrower_id])
    assert report.ok, report.failures


def test_an_edited_agreement_pdf_breaks_the_evidence(platform, admin_user, capsys):
    plan = _plan(platform, admin_user)
    with open(plan.agreement_pdf.path, "rb") as fh:
        original = fh.read()
    # One byte of the stored PDF changed (same size): a different amount, say.
    _overwrite(plan, original[:-20] + bytes([original[-20] ^ 1]) + original[-19:])
    report = evidence.verify(borrower_ids=[plan.case.borrower_id])
    (failure,) = report.failures
    assert (failure.kind, failure.problem) == (EvidenceKind.DOCUMENT, evidence.Problem.ALTERED)
    assert "repayment_plans.Plan" in failure.detail
    with pytest.raises(CommandError):
        call_command("verify_evidence", "--no-record", "--borrower", str(plan.case.borrower_id))
    assert "document" in capsys.readouterr().err
    # Put back, it verifies again: the check is over the bytes, not over the file's time or name.
    _overwrite(plan, original)
    assert evidence.verify(borrower_ids=[plan.case.borrower_id]).ok


def test_the_sent_agreement_is_tied_to_its_decision_and_a_removed_file_is_caught(platform, admin_user):
    plan = _plan(platform, admin_user, address="上海市黄浦区南京东路 1 号")
    dispatch = agreement_send(plan=plan, channel="letter", user=admin_user)
    sent = EvidenceDocument.objects.get(source_id=plan.pk, decision_id=dispatch.decision_id)
    produced = EvidenceDocument.objects.get(source_id=plan.pk, decision_id=None)
    assert sent.sha256 == produced.sha256 and sent.pk > produced.pk
    assert evidence.verify(borrower_ids=[plan.case.borrower_id]).ok
    plan.agreement_pdf.storage.delete(plan.agreement_pdf.name)
    (failure,) = evidence.verify(borrower_ids=[plan.case.borrower_id]).failures
    assert (failure.kind, failure.problem, failure.object_id) == (
        EvidenceKind.DOCUMENT,
        evidence.Problem.REMOVED,
        produced.pk,
    )


def test_a_rewritten_digest_record_breaks_the_chain(platform, admin_user):
    """Editing the file *and* its recorded digest to match is caught by the chain over the record."""
    plan = _plan(platform, admin_user)
    _overwrite(plan, b"%PDF-1.4 forged")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compliance_evidencedocument SET sha256 = %s, size = %s WHERE source_id = %s",
            [hashlib.sha256(b"%PDF-1.4 forged").hexdigest(), 15, plan.pk],
        )
    (failure,) = evidence.verify(borrower_ids=[plan.case.borrower_id]).failures
    assert (failure.kind, failure.problem) == (EvidenceKind.DOCUMENT, evidence.Problem.ALTERED)
    assert failure.seq is not None  # found by the walk over the links, before the bytes are read
