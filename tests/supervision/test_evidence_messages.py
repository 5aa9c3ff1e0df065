"""The evidence chain covers what reached the borrower: a message sent through the real path (template,
gate, outbound message, gateway) verifies, and an UPDATE of its body in SQL is caught by verify_evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from compliance import evidence
from outreach.models import MessageTemplate, OutboundMessage
from outreach.services import message_send
from tests import factories

from .factories import DecisionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# 11:00 in Shanghai: inside the permitted hours.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(settings, tmp_path, collector) -> OutboundMessage:
    settings.OUTBOX_DIR = tmp_path / "outbox"
    with time_machine.travel(NOW, tick=True):
        borrower = factories.BorrowerFactory(region="CN-31", timezone="Asia/Shanghai", language="en")
        factories.PhoneFactory(borrower=borrower, number="+8613912345678", kind="mobile", autodial_consent=True)
        loan = factories.LoanFactory(borrower=borrower)
        factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=20))
        case = factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=Decimal("1060.00"))
        template = MessageTemplate.objects.create(
            code="t-sms",
            channel="sms",
            language="en",
            subject="Loan",
            body="Hi {borrower_name}, {amount} {currency} is overdue on {loan_ref}. {opt_out}",
        )
        result = message_send(
            case=case, template=template, channel="sms", to="+8613912345678", user=collector, today=NOW.date()
        )
    assert result.message is not None
    return result.message


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_sent_message_verifies(sent):
    assert sent.decision.message_digest == evidence.message_digest(subject=sent.subject, body=sent.body)
    report = evidence.verify(borrower_ids=[sent.decision.borrower_id])
    assert report.ok, report.failures
    call_command("verify_evidence", "--no-record")


def test_an_edited_message_body_breaks_the_evidence(sent, capsys):
    _sql("UPDATE outreach_outboundmessage SET body = %s WHERE id = %s", ["PAY NOW OR WE SUE", sent.pk])

    failure, _links = evidence.verify_borrower(sent.decision.borrower_id)
    assert failure is not None
    assert (failure.problem, failure.kind, failure.object_id) == ("altered", "outbound_message", sent.pk)
    with pytest.raises(CommandError) as raised:
        call_command("verify_evidence", "--no-record")
    assert f"outbound_message {sent.pk} altered" in str(raised.value)
    assert "no longer matches the digest its decision recorded" in capsys.readouterr().err


def test_an_edited_subject_breaks_the_evidence(sent):
    _sql("UPDATE outreach_outboundmessage SET subject = %s WHERE id = %s", ["Final demand", sent.pk])

    failure, _links = evidence.verify_borrower(sent.decision.borrower_id)
    assert failure is not None and failure.object_id == sent.pk


def test_a_message_detached_from_its_decision_breaks_the_evidence(sent):
    _sql("UPDATE outreach_outboundmessage SET decision_id = NULL WHERE id = %s", [sent.pk])

    failure, _links = evidence.verify_borrower(sent.decision.borrower_id)
    assert failure is not None
    assert (failure.kind, failure.object_id) == ("outbound_message", sent.pk)
    assert "detached" in failure.detail


def test_a_message_moved_to_another_decision_with_the_same_digest_breaks_the_evidence(sent):
    """A dry run of the same text has the same digest; the message is still not its contact's decision's."""
    decision = sent.decision
    twin = DecisionFactory(borrower=decision.borrower, message_digest=decision.message_digest, dry_run=True)
    _sql("UPDATE outreach_outboundmessage SET decision_id = %s WHERE id = %s", [twin.pk, sent.pk])

    failure, _links = evidence.verify_borrower(decision.borrower_id)
    assert failure is not None
    assert (failure.kind, failure.object_id) == ("outbound_message", sent.pk)


def test_an_edited_letter_body_breaks_the_evidence(settings, tmp_path, collector):
    """A letter sent through outreach (the print queue) is covered like any message: its stored body is
    what the gate judged, and an edit of it afterwards is caught."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    with time_machine.travel(NOW, tick=True):
        borrower = factories.BorrowerFactory(
            region="CN-31", timezone="Asia/Shanghai", language="en", address="1 Nanjing Road, Shanghai"
        )
        loan = factories.LoanFactory(borrower=borrower)
        factories.InstallmentFactory(loan=loan, seq=1, due_date=NOW.date() - dt.timedelta(days=40))
        case = factories.CaseFactory(loan=loan, assigned_to=collector, overdue_amount=Decimal("1060.00"))
        template = MessageTemplate.objects.create(
            code="t-letter",
            channel="letter",
            language="en",
            subject="Your loan",
            body="Dear {borrower_name}, {amount} {currency} is overdue on {loan_ref}.",
        )
        result = message_send(
            case=case, template=template, channel="letter", to=borrower.address, user=collector, today=NOW.date()
        )
    letter = result.message
    assert letter is not None and letter.channel == "letter"
    assert evidence.verify(borrower_ids=[borrower.pk]).ok

    _sql("UPDATE outreach_outboundmessage SET body = %s WHERE id = %s", [letter.body + " Or we sue.", letter.pk])
    failure, _links = evidence.verify_borrower(borrower.pk)
    assert failure is not None
    assert (failure.problem, failure.kind, failure.object_id) == ("altered", "outbound_message", letter.pk)
