"""The written agreement: printable page, PDF in the borrower's language, stored, sent through the gate."""

import base64
import datetime as dt
import re
import zlib
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from compliance.models import Decision
from contacts.models import ContactAttempt
from repayment_plans.agreement import agreement_render_pdf, agreement_send
from repayment_plans.models import AgreementDispatch
from repayment_plans.services import plan_propose
from tests.factories import EmailFactory, OptOutFactory

from .conftest import TODAY, make_case

pytestmark = pytest.mark.django_db
IN_A_WEEK = TODAY + dt.timedelta(days=7)


def _settlement(case, user):
    return plan_propose(
        case=case,
        kind="settlement",
        user=user,
        settlement_amount=Decimal("2000.00"),
        first_due_date=IN_A_WEEK,
        installment_count=3,
        frequency="monthly",
        reason="hardship",
    )


def _pdf_text(pdf: bytes) -> bytes:
    """The decoded content streams of a reportlab PDF (ASCII85 then Flate), where Helvetica text is plain."""
    out = b""
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = raw.strip()
        try:
            if data.endswith(b"~>"):
                data = base64.a85decode(data[:-2].removeprefix(b"<~"))
            out += zlib.decompress(data)
        except (ValueError, zlib.error):
            out += raw
    return out


def test_the_printable_page_shows_the_schedule_and_consequences_in_chinese(client, platform, admin_user):
    case = make_case(platform, language="zh-hans")
    plan = _settlement(case, admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("plan-agreement", args=[plan.pk])).content.decode()
    assert "还款协议书" in page
    assert "和解" in page
    for amount in ("666.66 CNY", "666.68 CNY", "2,000.00 CNY", "3,180.00 CNY", "1,180.00 CNY"):
        assert amount in page
    for line in plan.installments.all():
        assert line.due_date.isoformat() in page
    assert "宽限期" in page and "本还款计划不收取任何额外费用" in page


def test_the_agreement_page_is_a_printable_document(client, platform, admin_user):
    # One head and toolbar for every printable document (templates/printable_document.html).
    from tests.workspace.test_printable_documents import assert_printable  # noqa: PLC0415 - a test helper

    case = make_case(platform, language="zh-hans")
    plan = _settlement(case, admin_user)
    client.force_login(admin_user)

    html = assert_printable(client.get(reverse("plan-agreement", args=[plan.pk])))

    assert 'class="agreement"' in html and reverse("plan-agreement-pdf", args=[plan.pk]) in html


def test_the_printable_page_in_english_for_an_english_speaking_borrower(client, platform, admin_user):
    case = make_case(platform, language="en")
    plan = _settlement(case, admin_user)
    client.force_login(admin_user)
    page = client.get(reverse("plan-agreement", args=[plan.pk])).content.decode()
    assert "Repayment agreement" in page
    assert "If an installment is not paid in full within 5 days after its due date, this plan ends." in page
    assert "666.68 CNY" in page


def test_the_pdf_is_stored_with_the_plan_in_the_borrowers_language(platform, admin_user):
    zh = _settlement(make_case(platform, language="zh-hans"), admin_user)
    en = _settlement(make_case(platform, language="en", full_name="Mary Smith"), admin_user)
    zh_pdf, en_pdf = zh.agreement_pdf.read(), en.agreement_pdf.read()
    assert zh_pdf.startswith(b"%PDF") and en_pdf.startswith(b"%PDF")
    assert (zh.agreement_language, en.agreement_language) == ("zh-hans", "en")
    # Chinese needs the CJK font; the English one is plain Helvetica with the schedule readable in it.
    assert b"STSong-Light" in zh_pdf
    assert b"STSong-Light" not in en_pdf
    text = _pdf_text(en_pdf)
    for needle in (b"Repayment agreement", b"666.66 CNY", b"666.68 CNY", b"Mary Smith"):
        assert needle in text
    # Rendering the other language on demand works too (a copy for the lender's files).
    assert agreement_render_pdf(zh, "en").startswith(b"%PDF")


def test_the_agreement_pages_are_only_for_users_who_see_the_case(client, platform, admin_user, collector):
    plan = _settlement(make_case(platform), admin_user)
    client.force_login(collector)  # the case is not assigned to this collector
    assert client.get(reverse("plan-agreement", args=[plan.pk])).status_code == 404
    assert client.get(reverse("plan-agreement-pdf", args=[plan.pk])).status_code == 404
    plan.case.assigned_to = collector
    plan.case.save()
    response = client.get(reverse("plan-agreement-pdf", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.logout()
    assert client.get(reverse("plan-agreement", args=[plan.pk])).status_code == 302  # to sign-in


def test_a_letter_goes_through_the_gate_and_is_queued_for_print(platform, admin_user):
    case = make_case(platform, address="上海市黄浦区南京东路 1 号")
    plan = _settlement(case, admin_user)
    dispatch = agreement_send(plan=plan, channel="letter", user=admin_user)
    assert dispatch.status == AgreementDispatch.Status.QUEUED_FOR_PRINT
    decision = Decision.objects.get(pk=dispatch.decision_id)
    assert decision.allowed and decision.channel == "letter"
    assert ContactAttempt.objects.filter(borrower=case.borrower, channel="letter").count() == 1


def test_an_email_blocked_by_an_opt_out_is_recorded_and_not_sent(platform, admin_user):
    case = make_case(platform)
    EmailFactory(borrower=case.borrower)
    OptOutFactory(borrower=case.borrower, channel="email")
    plan = _settlement(case, admin_user)
    dispatch = agreement_send(plan=plan, channel="email", user=admin_user)
    assert dispatch.status == AgreementDispatch.Status.BLOCKED
    assert any(r.get("rule") == "opted_out" or r.get("code") == "opted_out" for r in dispatch.reasons)
    assert mail.outbox == []
    assert not ContactAttempt.objects.filter(borrower=case.borrower, channel="email").exists()


def test_an_allowed_email_carries_the_pdf(platform, admin_user):
    # A zone where it is now midday, so that quiet hours cannot block the test whatever time it runs.
    offset = 12 - timezone.now().hour
    zone = "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}")
    case = make_case(platform, language="en", region="ZZ-1", timezone=zone)
    email = EmailFactory(borrower=case.borrower)
    plan = _settlement(case, admin_user)
    dispatch = agreement_send(plan=plan, channel="email", user=admin_user)
    assert dispatch.status == AgreementDispatch.Status.SENT, dispatch.reasons
    assert dispatch.to == email.address
    (message,) = mail.outbox
    assert message.to == [email.address]
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    contact = ContactAttempt.objects.get(borrower=case.borrower, channel="email")
    assert contact.outcome == "delivered"
