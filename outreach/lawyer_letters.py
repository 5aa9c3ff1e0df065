"""The lawyer letter (律师函) of a legal referral: rendered in the borrower's language and sent as a letter
through the compliance gate, as a plan's written agreement is (repayment_plans.agreement).

The wording is kept here per language, not in the UI's catalogue: it is a legal text reviewed as a whole,
and it goes out in the *borrower's* language whatever the supervisor's. It is firm and lawful: it states
the debt, invites the borrower to pay or to agree an arrangement within a deadline, and says which lawful
steps may follow (pre-litigation mediation, proceedings before the competent court) without threats,
without pretending to be a court, and with an invitation to raise a dispute or hardship. The gate screens
it like any message (prohibited content, the time-barred debt rule) before it is queued for print.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from borrowers.zones import borrower_today
from cases.events import case_event_record
from cases.models import CaseEvent, LawyerLetter, LegalProceeding
from compliance.actions import Actor, OutreachAction
from compliance.evidence import link_document
from compliance.services import outreach_authorize
from core import pdf as pdf_doc

LANGUAGES = ("en", "zh-hans")
# Days the borrower is given to answer before the next step may be taken.
ANSWER_DAYS = 15

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Lawyer's letter",
        "number": "Reference",
        "date": "Date",
        "to": "To",
        "from": "From",
        "client": "On behalf of",
        "loan": "Loan",
        "overdue": "Amount overdue",
        "outstanding": "Balance outstanding",
        "dpd": "Days past due",
        "body": (
            "We act for {lender}, which has referred to us the debt under loan {loan}. According to our client's "
            "records, {overdue} is overdue and the balance outstanding is {outstanding}, {dpd} days past due."
        ),
        "request": (
            "We ask you to pay the overdue amount, or to contact us or {lender} to agree a repayment "
            "arrangement, within {days} days of the date of this letter (by {deadline})."
        ),
        "next": (
            "If the debt remains unresolved, our client may apply for pre-litigation mediation or bring "
            "proceedings before the competent court, as the law provides."
        ),
        "help": (
            "If you dispute this debt, or if you are in financial difficulty, please tell us: your situation "
            "will be considered fairly. This letter is addressed to you alone."
        ),
        "signature": "Yours faithfully,",
    },
    "zh-hans": {
        "title": "律师函",
        "number": "编号",
        "date": "日期",
        "to": "致",
        "from": "发函",
        "client": "委托人",
        "loan": "借款编号",
        "overdue": "逾期金额",
        "outstanding": "未还余额",
        "dpd": "逾期天数",
        "body": (
            "本所受{lender}委托，就您名下借款（编号 {loan}）所涉债务致函。根据委托人的记录，"
            "您的逾期金额为 {overdue}，未还余额为 {outstanding}，已逾期 {dpd} 天。"
        ),
        "request": "请您自本函日期起 {days} 日内（即 {deadline} 前）偿还逾期款项，或与本所或{lender}联系协商还款安排。",
        "next": "如债务仍未解决，委托人可依法申请诉前调解或向有管辖权的人民法院提起诉讼。",
        "help": "如您对该笔债务有异议，或确有还款困难，请告知我们，我们将依法公平处理。本函仅致您本人。",
        "signature": "此致",
    },
}


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def letter_language(proceeding: LegalProceeding) -> str:
    language = proceeding.case.borrower.language
    return language if language in LANGUAGES else "en"


def letter_context(
    proceeding: LegalProceeding, *, language: str | None = None, on: dt.date | None = None
) -> dict[str, Any]:
    """Everything the letter prints, formatted: the page and the stored text show the same figures."""
    language = language or letter_language(proceeding)
    t = TEXT[language]
    case = proceeding.case
    loan, borrower = case.loan, case.borrower
    on = on or borrower_today(borrower, timezone.now())
    deadline = on + dt.timedelta(days=ANSWER_DAYS)
    values = {
        "lender": case.platform.name,
        "loan": loan.external_id,
        "overdue": _money(loan.overdue_amount, loan.currency),
        "outstanding": _money(loan.outstanding, loan.currency),
        "dpd": loan.dpd,
        "days": ANSWER_DAYS,
        "deadline": deadline.isoformat(),
    }
    return {
        "language": language,
        "t": t,
        "number": f"LL-{proceeding.pk:06d}",
        "date": on.isoformat(),
        "borrower": borrower.full_name,
        "address": borrower.address,
        "law_firm": proceeding.forum,
        **values,
        "paragraphs": [t["body"].format(**values), t["request"].format(**values), t["next"], t["help"]],
    }


def letter_text(context: dict[str, Any]) -> str:
    """The letter as plain text: what the gate screens and what is kept on the LawyerLetter for print."""
    t = context["t"]
    lines = [
        t["title"],
        f"{t['number']}: {context['number']}",
        f"{t['date']}: {context['date']}",
        f"{t['to']}: {context['borrower']}",
        f"{t['from']}: {context['law_firm']}",
        f"{t['client']}: {context['lender']}",
        "",
        # A blank line between paragraphs: the print page and the letter keep them apart.
        "\n\n".join(context["paragraphs"]),
        "",
        t["signature"],
        context["law_firm"],
    ]
    return "\n".join(lines)


# The evidence document kinds of a lawyer letter (compliance.evidence.link_document): its stored text and
# the PDF printed from it.
LETTER_TEXT = "lawyer_letter"
LETTER_PDF = "lawyer_letter_pdf"


def letter_render_pdf(context: dict[str, Any]) -> bytes:
    """The letter as a PDF, in its language (core.pdf, as a plan's agreement): the same figures and
    paragraphs as the stored text and the print page."""
    from reportlab.lib.units import mm  # reportlab is heavy: loaded when a PDF is made
    from reportlab.platypus import Spacer, Table, TableStyle  # reportlab is heavy: loaded when a PDF is made

    t = context["t"]
    s = pdf_doc.styles(
        pdf_doc.needs_cjk(
            context["language"], context["borrower"], context["lender"], context["law_firm"], context["address"]
        )
    )
    p = s.p
    facts = [
        (t["number"], context["number"]),
        (t["date"], context["date"]),
        (t["to"], ", ".join(x for x in (context["borrower"], context["address"]) if x)),
        (t["from"], context["law_firm"]),
        (t["client"], context["lender"]),
        (t["loan"], context["loan"]),
        (t["overdue"], context["overdue"]),
        (t["outstanding"], context["outstanding"]),
        (t["dpd"], str(context["dpd"])),
    ]
    table = Table([[p(k), p(v)] for k, v in facts], colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    story = [p(t["title"], s.title), table, Spacer(1, 4 * mm)]
    for paragraph in context["paragraphs"]:
        story += [p(paragraph), Spacer(1, 2 * mm)]
    story += [Spacer(1, 6 * mm), p(t["signature"]), p(context["law_firm"], s.head)]
    return pdf_doc.pdf_build(story, title=f"{t['title']} {context['number']}", author=context["law_firm"])


def lawyer_letter_send(*, proceeding: LegalProceeding, user: User | None) -> LawyerLetter:
    """Send the referral's lawyer letter by post, only with the compliance gate's allowed decision.

    Recorded whether queued for print or blocked (with the gate's reasons); an allowed letter is also a
    case event. The gate's pending contact attempt gets its outcome when the letter is posted.
    """
    if proceeding.kind != LegalProceeding.Kind.REFERRAL:
        raise ValidationError({"proceeding": [_("A lawyer letter belongs to a legal referral.")]})
    case = proceeding.case
    if not case.borrower.address.strip():
        raise ValidationError({"proceeding": [_("The borrower has no postal address.")]})
    context = letter_context(proceeding)
    body = letter_text(context)
    result = outreach_authorize(
        action=OutreachAction(borrower=case.borrower, channel="letter", loan=case.loan, case=case, message=body),
        actor=Actor.of_user(user) if user is not None else Actor.scheduler(),
    )
    decision = result.decision.pk if result.decision is not None else None
    if not result.allowed:
        return LawyerLetter.objects.create(
            proceeding=proceeding,
            language=context["language"],
            status=LawyerLetter.Status.BLOCKED,
            decision_id=decision,
            reasons=[dict(r) for r in result.reasons],
            body=body,
            user=user,
        )
    to = str(getattr(result.contact, "to", "") or "") or case.borrower.address
    letter = LawyerLetter.objects.create(
        proceeding=proceeding,
        language=context["language"],
        to=to,
        status=LawyerLetter.Status.QUEUED_FOR_PRINT,
        decision_id=decision,
        body=body,
        user=user,
    )
    # The PDF that is printed and posted, stored with the letter (MEDIA_ROOT).
    letter.pdf.save(f"lawyer-letter-{letter.pk}-{context['language']}.pdf", ContentFile(letter_render_pdf(context)))
    # The stored letter and its PDF, hashed into the borrower's evidence chain as they go to print
    # (verify_evidence catches a later edit of the body or of the file's bytes).
    link_document(borrower_id=case.borrower_id, kind=LETTER_TEXT, instance=letter, field="body", decision_id=decision)
    link_document(borrower_id=case.borrower_id, kind=LETTER_PDF, instance=letter, field="pdf", decision_id=decision)
    case_event_record(
        case_id=case.pk,
        kind=CaseEvent.Kind.LAWYER_LETTER,
        new=LawyerLetter.Status.QUEUED_FOR_PRINT,
        actor=user,
        data={"letter": letter.pk, "proceeding": proceeding.pk, "decision": decision, "language": context["language"]},
    )
    return letter
