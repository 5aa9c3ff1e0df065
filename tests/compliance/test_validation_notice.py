"""Regulation F's validation notice (12 CFR 1006.34; issue 19, item 4): a US case's first allowed
communication schedules one notice, sent through the gate as a letter (or an e-mail) with the Model Form
B-1 values; a dispute inside the validation period holds collection (validation_dispute) until a
supervisor or compliance officer records verification; a dispute after the period is an ordinary
dispute hold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from borrowers.services import hold_create, hold_lift
from cases.models import CaseEvent
from compliance.actions import Actor, OutreachAction
from compliance.models import ValidationNotice
from compliance.services import decision_override, outreach_authorize
from compliance.validation import assumed_receipt, validation_period, verification_record
from outreach.models import OutboundMessage
from outreach.services import validation_notice_send, validation_notices_send_due
from tests import factories

from .conftest import check, codes, local

# Wednesday 10 June 2026, noon in New York.
NOW = local("America/New_York", 2026, 6, 10, 12, 0)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def us_case(platform, settings):
    settings.DEBT_COLLECTOR_NAME = "Acme Recovery LLC"
    settings.DEBT_COLLECTOR_ADDRESS = "PO Box 100, Albany, NY 12201"
    borrower = factories.BorrowerFactory(
        platform=platform, region="US-NY", language="en", full_name="Jane Doe", address="1 Main St, Troy, NY 12180"
    )
    factories.PhoneFactory(borrower=borrower, number="+12125550100", kind="home")
    loan = factories.LoanFactory(
        borrower=borrower,
        external_id="LN-0012345678",
        currency="USD",
        disbursed_on=dt.date(2026, 1, 5),
        outstanding=Decimal("1260.00"),
    )
    factories.InstallmentFactory(loan=loan, seq=1, due_date=dt.date(2026, 5, 5))
    return factories.CaseFactory(loan=loan)


def call(case, at=NOW, *, actor=None, **fields):
    action = OutreachAction(borrower=case.borrower, channel="call", case=case, at=at, **fields)
    return outreach_authorize(action=action, actor=actor or Actor.scheduler())


def test_the_first_communication_schedules_one_notice(us_case):
    assert not ValidationNotice.objects.exists()
    call(us_case, dry_run=True)  # a preview is no communication
    assert not ValidationNotice.objects.exists()
    first = call(us_case)
    notice = ValidationNotice.objects.get()
    assert notice.case == us_case and notice.loan == us_case.loan and notice.status == "scheduled"
    assert notice.first_decision == first.decision and notice.scheduled_at == NOW
    call(us_case, at=NOW + dt.timedelta(hours=1))
    assert ValidationNotice.objects.count() == 1


def test_no_notice_outside_the_us_or_for_a_third_party(us_case, cn_borrower):
    cn_case = factories.CaseFactory(loan=factories.LoanFactory(borrower=cn_borrower))
    outreach_authorize(
        action=OutreachAction(borrower=cn_borrower, channel="call", case=cn_case, at=NOW), actor=Actor.scheduler()
    )
    relative = factories.ThirdPartyFactory(borrower=us_case.borrower, phone="+12125550199")
    call(us_case, party="third_party", third_party=relative)
    assert not ValidationNotice.objects.exists()


def test_the_period_assumes_receipt_after_five_business_days():
    # Wed 10 June: Thu, Fri, Mon, Tue, Wed -> 17 June; the period ends 30 days later.
    assert validation_period(dt.date(2026, 6, 10)) == (dt.date(2026, 6, 17), dt.date(2026, 7, 17))
    # Juneteenth (Fri 19 June 2026) is a legal public holiday and is not counted.
    assert assumed_receipt(dt.date(2026, 6, 17)) == dt.date(2026, 6, 25)


def test_the_notice_carries_the_model_form_fields(us_case):
    call(us_case)
    assert dict(validation_notices_send_due(now=NOW)) == {"sent": 1}
    notice = ValidationNotice.objects.get()
    assert notice.status == "sent" and notice.channel == "letter" and notice.sent_at == NOW
    assert notice.receipt_date == dt.date(2026, 6, 17) and notice.period_end == dt.date(2026, 7, 17)
    # The end of 17 July in New York.
    assert notice.period_ends_at == local("America/New_York", 2026, 7, 18, 0, 0)
    assert notice.send_decision.allowed and notice.send_decision.channel == "letter"
    f = notice.fields
    assert f["collector_name"] == "Acme Recovery LLC" and f["collector_address"] == "PO Box 100, Albany, NY 12201"
    assert f["consumer_name"] == "Jane Doe" and f["consumer_address"] == "1 Main St, Troy, NY 12180"
    assert f["creditor"] == "Alpha Lending" and f["account_number"] == "*********5678"
    assert f["itemization_date"] == "2026-01-05" and f["itemization_basis"] == "disbursement"
    assert (f["interest_since"], f["fees_since"], f["payments_credits_since"]) == ("50.00", "10.00", "0")
    assert f["current_amount"] == "1260.00" and f["amount_on_itemization_date"] == "1200.00"
    assert f["validation_period_end"] == "2026-07-17"
    message = OutboundMessage.objects.get(decision=notice.send_decision)
    assert message.channel == "letter" and message.to == "1 Main St, Troy, NY 12180"
    for text in (
        "Acme Recovery LLC is a debt collector",
        "PO Box 100, Albany, NY 12201",
        "Jane Doe",
        "You had an account with Alpha Lending with account number *********5678.",
        "As of 2026-01-05, you owed: 1200.00 USD",
        "You were charged this amount in interest: + 50.00 USD",
        "You were charged this amount in fees: + 10.00 USD",
        "Total amount of the debt now: 1260.00 USD",
        "Call or write to us by 2026-07-17 to dispute all or part of the debt.",
        "I want you to send me the name and address of the original creditor.",
    ):
        assert text in message.body, text
    assert "LN-0012345678" not in message.body  # the account number is masked
    assert CaseEvent.objects.filter(case=us_case, kind="validation_notice").count() == 1
    # Sent once: the sweep and a repeated send find nothing more to do.
    assert validation_notice_send(notice_id=notice.pk, now=NOW).status == "noop"
    assert not validation_notices_send_due(now=NOW + dt.timedelta(days=1))


def test_the_notice_in_chinese_and_by_email_without_an_address(us_case):
    borrower = us_case.borrower
    borrower.language, borrower.address = "zh-hans", ""
    borrower.save()
    factories.EmailFactory(borrower=borrower, address="jane@example.com")
    call(us_case)
    validation_notices_send_due(now=NOW)
    notice = ValidationNotice.objects.get()
    message = OutboundMessage.objects.get(decision=notice.send_decision)
    assert notice.status == "sent" and message.channel == "email" and message.to == "jane@example.com"
    assert "债务催收机构" in message.body and "2026-07-17" in message.body and "退订" in message.body
    assert "核实通知" in message.subject


def test_a_notice_at_night_waits_for_the_gate(us_case):
    borrower = us_case.borrower
    borrower.address = ""
    borrower.save()
    factories.EmailFactory(borrower=borrower)
    call(us_case)
    night = local("America/New_York", 2026, 6, 10, 22, 30)
    outcome = validation_notice_send(notice_id=ValidationNotice.objects.get().pk, now=night)
    notice = ValidationNotice.objects.get()
    assert outcome.status == "deferred" and "quiet_hours" in outcome.reason
    assert notice.status == "scheduled" and notice.not_before == local("America/New_York", 2026, 6, 11, 8, 0)


def _sent_notice(case) -> ValidationNotice:
    call(case)
    validation_notices_send_due(now=NOW)
    return ValidationNotice.objects.get()


def test_a_dispute_inside_the_period_holds_collection_until_verification(us_case, supervisor):
    notice = _sent_notice(us_case)
    disputed = NOW + dt.timedelta(days=3)
    hold = hold_create(borrower=us_case.borrower, kind="dispute", loan=us_case.loan, starts_at=disputed)
    notice.refresh_from_db()
    assert notice.disputed_at == disputed and notice.dispute_hold == hold
    reminder = {"channel": "call", "case": us_case, "actor": Actor.scheduler()}
    later = NOW + dt.timedelta(days=4)
    blocked = check(us_case.borrower, later, **reminder)
    assert {"validation_dispute", "hold_dispute"} <= codes(blocked) and blocked.next_allowed_at is None
    reason = next(r for r in blocked.reasons if r["code"] == "validation_dispute")
    assert "2026-06-13" in reason["message_en"] and "核实" in reason["message_zh"]
    # Lifting the dispute hold alone does not resume collection, nor can a supervisor override it.
    hold_lift(hold=hold, ends_at=later)
    blocked = check(us_case.borrower, later + dt.timedelta(minutes=1), **reminder)
    assert codes(blocked) == {"validation_dispute"}
    with pytest.raises(ValidationError):
        decision_override(decision=blocked.decision, actor=Actor.of_user(supervisor), reason="pay plan agreed")
    # Verification recorded: the next reminder goes.
    verified_at = later + dt.timedelta(hours=1)
    verification_record(notice=notice, user=supervisor, note="Statement of account mailed.", now=verified_at)
    notice.refresh_from_db()
    assert notice.verified_by == supervisor and notice.verified_at == verified_at
    assert check(us_case.borrower, verified_at + dt.timedelta(minutes=1), **reminder).allowed
    event = CaseEvent.objects.get(case=us_case, kind="validation_verified")
    assert event.actor == supervisor and event.reason == "Statement of account mailed."
    assert notice.history.filter(verified_at__isnull=False).exists()


def test_verification_lifts_the_dispute_hold_of_the_period(us_case, supervisor):
    notice = _sent_notice(us_case)
    hold = hold_create(borrower=us_case.borrower, kind="dispute", starts_at=NOW + dt.timedelta(days=1))
    verification_record(
        notice=notice, user=supervisor, note="Copy of the agreement sent.", now=NOW + dt.timedelta(days=2)
    )
    hold.refresh_from_db()
    assert hold.ends_at == NOW + dt.timedelta(days=2)
    with pytest.raises(ValidationError):
        verification_record(notice=notice, user=supervisor, note="again", now=NOW + dt.timedelta(days=3))


def test_only_supervisors_and_compliance_record_verification(us_case, collector):
    notice = _sent_notice(us_case)
    hold_create(borrower=us_case.borrower, kind="dispute", starts_at=NOW + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        verification_record(notice=notice, user=collector, note="done")
    officer = factories.UserFactory(username="officer", role=Role.COMPLIANCE)
    with pytest.raises(ValidationError):
        verification_record(notice=notice, user=officer, note="  ")
    verification_record(notice=notice, user=officer, note="Verified with the lender's ledger.")


def test_a_dispute_after_the_period_is_an_ordinary_dispute_hold(us_case):
    notice = _sent_notice(us_case)
    after = notice.period_ends_at + dt.timedelta(hours=1)
    hold_create(borrower=us_case.borrower, kind="dispute", loan=us_case.loan, starts_at=after)
    notice.refresh_from_db()
    assert notice.disputed_at is None
    result = check(us_case.borrower, after + dt.timedelta(hours=1), channel="call", case=us_case)
    assert "hold_dispute" in codes(result) and "validation_dispute" not in codes(result)


def test_a_dispute_through_the_portal_inside_the_period(us_case):
    from portal.services import portal_dispute, portal_link_create

    notice = _sent_notice(us_case)
    link, _url = portal_link_create(case=us_case)
    portal_dispute(link=link, note="Not my loan.", ip="203.0.113.9", now=NOW + dt.timedelta(days=5))
    notice.refresh_from_db()
    assert notice.disputed_at is not None
    assert "validation_dispute" in codes(check(us_case.borrower, NOW + dt.timedelta(days=6), case=us_case))


def test_a_dispute_on_another_loan_does_not_hold_this_one(us_case):
    notice = _sent_notice(us_case)
    other = factories.LoanFactory(borrower=us_case.borrower, currency="USD")
    hold_create(borrower=us_case.borrower, kind="dispute", loan=other, starts_at=NOW + dt.timedelta(days=1))
    notice.refresh_from_db()
    assert notice.disputed_at is None


def test_an_erasure_scrubs_the_notice_and_the_chain_still_verifies(us_case, supervisor):
    from compliance import evidence, lifecycle

    notice = _sent_notice(us_case)
    assert notice.fields["consumer_name"] == "Jane Doe"
    erasure = lifecycle.borrower_erase(
        borrower=us_case.borrower, reason="request", legal_basis=lifecycle.LEGAL_BASIS["gdpr"]
    )
    assert erasure.status == "done"
    notice.refresh_from_db()
    assert notice.fields["consumer_name"] == f"erased-{us_case.borrower.pk}"
    assert "Jane Doe" not in str(notice.fields) and "1 Main St" not in str(notice.fields)
    assert not any("Jane Doe" in str(h.fields) for h in notice.history.all())
    assert notice.fields["current_amount"] == "1260.00"  # the lender's figures stay
    report = evidence.verify(borrower_ids=[us_case.borrower.pk])
    assert report.ok, report.failures_as_dicts()


def test_a_dispute_through_the_api_inside_the_period(api, us_case):
    notice = _sent_notice(us_case)
    body = {"kind": "dispute", "loan": us_case.loan.external_id, "note": "disputes the amount"}
    response = api.post(f"/api/v1/borrowers/{us_case.borrower.external_id}/holds/", body, format="json")
    assert response.status_code == 201, response.content
    notice.refresh_from_db()
    assert notice.disputed_at == NOW and notice.dispute_hold_id == response.json()["id"]
    assert "validation_dispute" in codes(check(us_case.borrower, NOW + dt.timedelta(hours=1), case=us_case))
