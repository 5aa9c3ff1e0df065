"""The written agreement (书面协议) of an accepted plan: a printable page, a PDF, and its dispatch.

The wording is kept here, per language, rather than in the UI's translation catalogue: it is a
legal text that is reviewed as a whole, and it must come out in the *borrower's* language whatever
the language of the collector who prints it. The wording is deliberately plain and free of threats:
it states what happens after a missed payment, and invites the borrower to call before that.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from compliance.actions import Actor, OutreachAction
from compliance.evidence import link_document
from compliance.services import outreach_authorize
from contacts.services import contact_record_outcome
from core import pdf as pdf_doc

from .models import AgreementDispatch, Plan, PlanInstallment, PlanKind

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hans")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Repayment agreement",
        "number": "Agreement no.",
        "date": "Date",
        "lender": "Lender",
        "borrower": "Borrower",
        "loan": "Loan",
        "kind": "Arrangement",
        "balance": "Balance owed when agreed",
        "total": "Total you pay under this plan",
        "discount": "Amount forgiven",
        "schedule": "Payment schedule",
        "seq": "No.",
        "due_date": "Due date",
        "amount": "Amount",
        "sum": "Total",
        "no_fees": "No fee of any kind is charged for this plan.",
        "consequences_title": "If a payment is missed",
        "consequences": (
            "If an installment is not paid in full within {grace} days after its due date, this plan ends. "
            "Payments already made stay credited to your loan. "
        ),
        "consequences_installment": "The amounts still owed fall due again on the dates of your original loan agreement.",
        "consequences_deferral": "The amounts still owed fall due again on the dates of your original loan agreement.",
        "consequences_settlement": (
            "The amount forgiven under this settlement is forgiven only when the settlement is paid in full; "
            "if the plan ends, the full balance remains owed under your original loan agreement."
        ),
        "consequences_waiver": (
            "The interest and fees waived under this plan stay waived; the rest remains owed under your "
            "original loan agreement."
        ),
        "help": (
            "If you expect difficulty with a payment, please contact us before its due date: "
            "we will look for a solution with you."
        ),
        "signatures": "Signatures",
        "for_lender": "For the lender",
        "for_borrower": "Borrower",
        "kind_installment": "Installment plan",
        "kind_deferral": "Deferral (new due dates)",
        "kind_settlement": "Settlement",
        "kind_waiver": "Interest and fee waiver",
        "waived_interest_fees": "Interest and fees waived",
    },
    "zh-hans": {
        "title": "还款协议书",
        "number": "协议编号",
        "date": "签订日期",
        "lender": "出借方",
        "borrower": "借款人",
        "loan": "借款编号",
        "kind": "还款安排",
        "balance": "协议签订时欠款余额",
        "total": "本计划应还总额",
        "discount": "减免金额",
        "schedule": "还款计划",
        "seq": "期数",
        "due_date": "到期日",
        "amount": "金额",
        "sum": "合计",
        "no_fees": "本还款计划不收取任何额外费用。",
        "consequences_title": "逾期还款的后果",
        "consequences": "如任何一期款项在到期日后 {grace} 天（宽限期）内未足额支付，本还款计划即行终止。已支付的款项继续计入您的借款。",
        "consequences_installment": "尚欠款项按原借款合同约定的期限和金额恢复履行。",
        "consequences_deferral": "尚欠款项按原借款合同约定的期限和金额恢复履行。",
        "consequences_settlement": "和解约定的减免金额以全部和解款项按期付清为条件；本计划终止的，欠款余额按原借款合同全额恢复。",
        "consequences_waiver": "本计划已减免的利息、罚息及费用不再收回；其余欠款按原借款合同约定履行。",
        "help": "如预计无法按期还款，请在到期日前与我们联系，我们将与您协商解决方案。",
        "signatures": "签字确认",
        "for_lender": "出借方（盖章）",
        "for_borrower": "借款人（签字）",
        "kind_installment": "分期还款",
        "kind_deferral": "延期还款",
        "kind_settlement": "和解（减免部分欠款）",
        "kind_waiver": "减免利息/罚息",
        "waived_interest_fees": "减免利息、罚息及费用",
    },
}


def agreement_language(plan: Plan) -> str:
    language = plan.case.borrower.language
    return language if language in LANGUAGES else "en"


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


@dataclass(frozen=True)
class AgreementRow:
    seq: int
    due_date: dt.date
    amount: str


def agreement_context(
    plan: Plan, language: str | None = None, installments: Sequence[PlanInstallment] | None = None
) -> dict[str, Any]:
    """Everything the page and the PDF print, already formatted, so both show the same figures.

    `installments` given: the document of a plan not written yet (the borrower portal shows the terms a
    borrower is about to accept; the plan has no number until it is)."""
    language = language or agreement_language(plan)
    t = TEXT[language]
    case = plan.case
    consequences = t["consequences"].format(grace=plan.grace_days) + t[f"consequences_{plan.kind}"]
    discount_label = t["waived_interest_fees"] if plan.kind == PlanKind.WAIVER else t["discount"]
    signed_on = timezone.localdate(plan.activated_at) if plan.activated_at else timezone.localdate()
    return {
        "plan": plan,
        "language": language,
        "t": t,
        "number": f"RP-{plan.pk:06d}" if plan.pk else "—",
        "date": signed_on.isoformat(),
        "lender": case.platform.name,
        "borrower": f"{case.borrower.full_name} ({case.borrower.external_id})",
        "loan": case.loan.external_id,
        "kind": t[f"kind_{plan.kind}"],
        "balance": _money(plan.balance, plan.currency),
        "total": _money(plan.total_amount, plan.currency),
        "discount_label": discount_label,
        "discount": _money(plan.discount_amount, plan.currency) if plan.discount_amount else "",
        "rows": [
            AgreementRow(seq=i.seq, due_date=i.due_date, amount=_money(i.amount, plan.currency))
            for i in (plan.installments.all() if installments is None else installments)
        ],
        "consequences": consequences,
    }


def agreement_render_html(
    plan: Plan, language: str | None = None, installments: Sequence[PlanInstallment] | None = None
) -> str:
    """The document alone (no page chrome): used inside the printable page and as the email body's source."""
    return render_to_string("repayment_plans/_agreement_document.html", agreement_context(plan, language, installments))


def agreement_render_pdf(plan: Plan, language: str | None = None) -> bytes:
    """The agreement as a PDF (core.pdf: Chinese in reportlab's built-in CID font, no font files)."""
    from reportlab.lib import colors  # reportlab is heavy: loaded when a PDF is made
    from reportlab.lib.units import mm  # reportlab is heavy: loaded when a PDF is made
    from reportlab.platypus import Spacer, Table, TableStyle  # reportlab is heavy: loaded when a PDF is made

    ctx = agreement_context(plan, language)
    t = ctx["t"]
    # A Chinese borrower's name may appear in an English document too: the CJK font whenever the text needs it.
    s = pdf_doc.styles(pdf_doc.needs_cjk(ctx["language"], ctx["borrower"], ctx["lender"]))
    p = s.p

    facts = [
        (t["number"], ctx["number"]),
        (t["date"], ctx["date"]),
        (t["lender"], ctx["lender"]),
        (t["borrower"], ctx["borrower"]),
        (t["loan"], ctx["loan"]),
        (t["kind"], ctx["kind"]),
        (t["balance"], ctx["balance"]),
        (t["total"], ctx["total"]),
    ]
    if ctx["discount"]:
        facts.append((ctx["discount_label"], ctx["discount"]))
    facts_table = Table([[p(k), p(v)] for k, v in facts], colWidths=[60 * mm, 110 * mm])
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))

    schedule_rows = [[p(t["seq"]), p(t["due_date"]), p(t["amount"])]]
    schedule_rows += [[p(str(r.seq)), p(r.due_date.isoformat()), p(r.amount)] for r in ctx["rows"]]
    schedule_rows.append([p(t["sum"]), p(""), p(ctx["total"])])
    schedule = Table(schedule_rows, colWidths=[20 * mm, 50 * mm, 60 * mm], repeatRows=1)
    schedule.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f2f6")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f0f2f6")),
            ]
        )
    )
    signatures = Table(
        [[p(t["for_lender"]), p(t["for_borrower"])], [p("____________________"), p("____________________")]],
        colWidths=[85 * mm, 85 * mm],
        rowHeights=[None, 16 * mm],
    )
    signatures.setStyle(TableStyle([("VALIGN", (0, 1), (-1, 1), "BOTTOM")]))
    story = [
        p(t["title"], s.title),
        facts_table,
        p(t["schedule"], s.head),
        schedule,
        Spacer(1, 4 * mm),
        p(t["no_fees"]),
        p(t["consequences_title"], s.head),
        p(ctx["consequences"]),
        Spacer(1, 2 * mm),
        p(t["help"]),
        p(t["signatures"], s.head),
        signatures,
    ]
    return pdf_doc.pdf_build(story, title=f"{t['title']} {ctx['number']}", author=ctx["lender"])


# The evidence document kind of an agreement PDF (compliance.evidence.link_document).
AGREEMENT_PDF = "agreement_pdf"


def agreement_generate(*, plan: Plan) -> Plan:
    """Produce the PDF in the borrower's language and store it with the plan (MEDIA_ROOT)."""
    language = agreement_language(plan)
    pdf = agreement_render_pdf(plan, language)
    plan.agreement_pdf.save(f"plan-{plan.pk}-{language}.pdf", ContentFile(pdf), save=False)
    plan.agreement_language = language
    plan.agreement_generated_at = timezone.now()
    plan.save(update_fields=["agreement_pdf", "agreement_language", "agreement_generated_at"])
    # The evidence chain holds the digest of the exact bytes produced (verify_evidence reads them again).
    link_document(borrower_id=plan.case.borrower_id, kind=AGREEMENT_PDF, instance=plan, field="agreement_pdf")
    return plan


def agreement_pdf_bytes(plan: Plan) -> bytes:
    """The stored PDF; produced now if the plan has none yet (or the file went missing)."""
    if plan.agreement_pdf:
        try:
            with plan.agreement_pdf.open("rb") as fh:
                return fh.read()
        except FileNotFoundError:
            logger.warning("agreement PDF of plan %s missing from storage; regenerating", plan.pk)
    agreement_generate(plan=plan)
    with plan.agreement_pdf.open("rb") as fh:
        return fh.read()


# The opt-out sentence is there for every borrower: US rules require it in an email, and it costs nothing elsewhere.
COVER_NOTE = {
    "en": (
        "Please find attached your repayment agreement {number}. Thank you for working this out with us. "
        "To stop receiving emails from us, reply unsubscribe."
    ),
    "zh-hans": "附件为您的还款协议书（编号 {number}），感谢您与我们共同协商还款安排。如不希望再收到邮件，请回复 unsubscribe 退订。",
}
SUBJECT = {"en": "Your repayment agreement {number}", "zh-hans": "您的还款协议书 {number}"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict | str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dict__"):
        return {k: _jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def _contact_to(result: Any) -> str:
    """The address the gate evaluated (it picks the borrower's first valid one when none is named)."""
    return str(getattr(result.contact, "to", "") or "")


def agreement_send(*, plan: Plan, channel: str, user: User | None) -> AgreementDispatch:
    """Send the agreement by email or letter, only with the compliance gate's allowed decision.

    The outcome is recorded on the plan (AgreementDispatch) whether it was sent, queued for print or
    blocked, with the gate's decision and reasons.
    """
    if channel not in ("email", "letter"):
        raise ValidationError({"channel": [_("The agreement is sent by email or by letter.")]})
    if plan.activated_at is None:
        raise ValidationError({"status": [_("Only an accepted plan has an agreement to send.")]})
    borrower = plan.case.borrower
    if channel == "email" and not borrower.emails.filter(invalid=False).exists():
        raise ValidationError({"channel": [_("The borrower has no valid email address.")]})
    if channel == "letter" and not borrower.address.strip():
        raise ValidationError({"channel": [_("The borrower has no postal address.")]})

    case = plan.case
    language = plan.agreement_language or agreement_language(plan)
    number = f"RP-{plan.pk:06d}"
    note = COVER_NOTE[language].format(number=number)
    result = outreach_authorize(
        action=OutreachAction(borrower=case.borrower, channel=channel, loan=case.loan, case=case, message=note),
        actor=Actor.of_user(user) if user is not None else Actor.scheduler(),
    )
    decision = result.decision.pk if result.decision is not None else None
    if not result.allowed:
        return AgreementDispatch.objects.create(
            plan=plan,
            channel=channel,
            status=AgreementDispatch.Status.BLOCKED,
            decision_id=decision,
            reasons=_jsonable(result.reasons),
            next_allowed_at=result.next_allowed_at,
            user=user,
        )
    pdf = agreement_pdf_bytes(plan)
    # What is sent, tied to the decision that allowed it: the digest of the stored file as it leaves.
    link_document(
        borrower_id=case.borrower_id, kind=AGREEMENT_PDF, instance=plan, field="agreement_pdf", decision_id=decision
    )
    to = _contact_to(result)
    if channel == "email":
        message = EmailMessage(subject=SUBJECT[language].format(number=number), body=note, to=[to])
        message.attach(f"{number}.pdf", pdf, "application/pdf")
        try:
            message.send()
        except OSError as exc:  # SMTP down: recorded, the collector may retry
            logger.warning("agreement email for plan %s failed: %s", plan.pk, exc)
            status = AgreementDispatch.Status.FAILED
        else:
            status = AgreementDispatch.Status.SENT
        if result.contact is not None:
            # The gate reserved a pending attempt; its outcome closes it in the contact log.
            outcome = "delivered" if status == AgreementDispatch.Status.SENT else "failed"
            contact_record_outcome(contact=result.contact, outcome=outcome, notes=f"Agreement {number}")
    else:
        # Letters are printed and posted from the stored PDF; the dispatch row is the print queue, and
        # the gate's pending contact attempt gets its outcome when the letter is posted.
        to = to or case.borrower.address
        status = AgreementDispatch.Status.QUEUED_FOR_PRINT
    return AgreementDispatch.objects.create(
        plan=plan, channel=channel, to=to, status=status, decision_id=decision, user=user
    )
