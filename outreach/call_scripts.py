"""Call scripts and the disclosures a collector reads when a call starts (issue 15, item 6).

A script belongs to a rule pack (the jurisdiction: CN, US, UK, or a state overlay such as US-MA) and
optionally a stage; it is data, edited in the admin in zh-hans and en. `DEFAULT_CALL_SCRIPTS` is what a
data migration seeds (outreach 0010) and `seed_call_scripts` puts back what is missing.

When a call starts the case page shows the scripts of the borrower's packs (`scripts_for_call`); the
collector ticks each disclosure as it is read, and `disclosures_delivered` turns the ticks into the record
written on the contact with its outcome (contacts.services.contact_record_outcome), which quality review
scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accounts.models import User
from borrowers.models import Borrower
from cases.models import Case
from compliance.packs import packs_for_region

from .models import CallScript, Disclosure
from .rendering import _Missing

# The statements themselves. Codes are the same in each language of a pack: quality review compares them.
# CN: 表明身份 — who is calling, on whose behalf (受…委托), and the debt, the debt only once the borrower is
# verified (never to a third party). US: Regulation F's mini-Miranda (15 U.S.C. 1692e(11)). UK: the firm
# and the purpose of the call (FCA CONC 7.3/7.9: identify yourself and why you call).
DEFAULT_CALL_SCRIPTS: list[dict[str, Any]] = [
    {
        "pack": "CN",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场（表明身份）",
        "body": "先核实对方是借款人{borrower_name}本人（姓名、身份证号后四位），再说明欠款情况；"
        "对方不是本人时，只说明来电单位，不得透露任何欠款信息。语气平和，不得威胁、辱骂。",
        "disclosures": [
            ("identity", "您好，我是{firm_name}的催收员{collector_name}。", True),
            ("on_behalf_of", "我受{platform_name}委托，就您在{platform_name}的借款与您联系。", True),
            ("debt", "您的借款{loan_ref}已逾期{dpd}天，逾期金额{amount}{currency}。", True),
            ("recording", "为保障双方权益，本次通话将被录音。", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "",
        "language": "en",
        "title": "Collection call opening (identify yourself)",
        "body": "Verify that you are speaking with the borrower {borrower_name} (name, last four digits of the "
        "national id) before you mention the debt; to anyone else say only who is calling, nothing about a "
        "debt. Calm tone, no threats or insults.",
        "disclosures": [
            ("identity", "Hello, my name is {collector_name}, a collector with {firm_name}.", True),
            ("on_behalf_of", "I am calling on behalf of {platform_name} about your loan with {platform_name}.", True),
            (
                "debt",
                "Your loan {loan_ref} is {dpd} days past due; the overdue amount is {amount} {currency}.",
                True,
            ),
            ("recording", "This call is recorded to protect both of us.", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "pre_due",
        "language": "zh-hans",
        "title": "还款提醒电话开场",
        "body": "温和提醒：先核实对方是借款人{borrower_name}本人，再提醒还款日；对方不是本人时不得透露借款信息。",
        "disclosures": [
            ("identity", "您好，我是{firm_name}的客服{collector_name}。", True),
            ("on_behalf_of", "我受{platform_name}委托，就您在{platform_name}的借款与您联系。", True),
            ("debt", "您的借款{loan_ref}即将到期，请按时还款，保持良好信用记录。", True),
            ("recording", "为保障双方权益，本次通话将被录音。", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "pre_due",
        "language": "en",
        "title": "Payment reminder call opening",
        "body": "A gentle reminder: verify that you are speaking with the borrower {borrower_name} before you "
        "mention the due date; say nothing about the loan to anyone else.",
        "disclosures": [
            ("identity", "Hello, my name is {collector_name}, customer service at {firm_name}.", True),
            ("on_behalf_of", "I am calling on behalf of {platform_name} about your loan with {platform_name}.", True),
            ("debt", "Your loan {loan_ref} falls due soon; please pay on time to keep a good credit record.", True),
            ("recording", "This call is recorded to protect both of us.", False),
        ],
    },
    {
        "pack": "US",
        "stage": "",
        "language": "en",
        "title": "Collection call opening (mini-Miranda)",
        "body": "Confirm you are speaking with {borrower_name} before you say anything about the debt. If "
        "someone else answers, give only your name and ask when to call back: never mention a debt.",
        "disclosures": [
            ("identity", "My name is {collector_name}, calling from {firm_name} for {platform_name}.", True),
            (
                "mini_miranda",
                "This is a communication from a debt collector. This is an attempt to collect a debt and any "
                "information obtained will be used for that purpose.",
                True,
            ),
            ("recording", "This call may be recorded.", False),
        ],
    },
    {
        "pack": "US",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场（债务催收声明）",
        "body": "先确认对方是{borrower_name}本人，再谈及欠款；对方不是本人时，只说自己的姓名并询问回电时间，不得提及欠款。",
        "disclosures": [
            ("identity", "我是{collector_name}，代表{platform_name}从{firm_name}来电。", True),
            (
                "mini_miranda",
                "这是债务催收员的来电。本次来电旨在催收债务，所获得的任何信息都将用于此目的。",
                True,
            ),
            ("recording", "本次通话可能被录音。", False),
        ],
    },
    {
        "pack": "UK",
        "stage": "",
        "language": "en",
        "title": "Collection call opening",
        "body": "Confirm you are speaking with {borrower_name} before you discuss the account. Explain the "
        "purpose of the call plainly; if the customer is in difficulty, offer to talk about a repayment plan.",
        "disclosures": [
            ("identity", "My name is {collector_name} and I am calling from {firm_name}.", True),
            (
                "purpose",
                "I am calling about your account {loan_ref} with {platform_name}, which is in arrears, to agree "
                "how it can be repaid.",
                True,
            ),
            ("recording", "Calls are recorded for training and quality purposes.", False),
        ],
    },
    {
        "pack": "UK",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场",
        "body": "先确认对方是{borrower_name}本人，再谈及账户；清楚说明来电目的；借款人还款困难时，主动提出协商还款计划。",
        "disclosures": [
            ("identity", "我是{collector_name}，从{firm_name}来电。", True),
            ("purpose", "我就您在{platform_name}的账户{loan_ref}来电，该账户已逾期，想与您商定还款方式。", True),
            ("recording", "为培训和质检，通话将被录音。", False),
        ],
    },
]


def seed_call_scripts() -> int:
    """Create the default scripts and disclosures that are missing (never overwrites an edited one).
    Returns how many scripts were created."""
    created = 0
    with transaction.atomic():
        for spec in DEFAULT_CALL_SCRIPTS:
            script, made = CallScript.objects.get_or_create(
                pack=spec["pack"],
                stage=spec["stage"],
                language=spec["language"],
                defaults={"title": spec["title"], "body": spec["body"]},
            )
            created += made
            if made:
                Disclosure.objects.bulk_create(
                    Disclosure(script=script, code=code, text=text, required=required, position=i)
                    for i, (code, text, required) in enumerate(spec["disclosures"])
                )
    return created


# --- what the call panel shows --------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownDisclosure:
    pack: str
    code: str
    text: str  # filled in for this case and collector
    required: bool

    @property
    def key(self) -> str:
        """The form's value: pack-qualified, as two packs (US and an overlay) may use the same code."""
        return f"{self.pack}:{self.code}"


@dataclass
class ShownScript:
    pack: str
    stage: str
    language: str
    title: str
    body: str
    disclosures: list[ShownDisclosure] = field(default_factory=list)


def _language_order(language: str) -> list[str]:
    """The borrower's language, then English, then Chinese: a call is made in the borrower's language
    when a script exists in it."""
    order = [language, "en", "zh-hans"]
    return list(dict.fromkeys(order))


def fill(text: str, values: dict[str, Any]) -> str:
    """A script's text with its placeholders filled; an unknown one stays visible, and text the admin
    left with an unbalanced brace is shown as written rather than failing the call."""
    try:
        return text.format_map(_Missing(values))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return text


def script_values(case: Case, borrower: Borrower, user: User) -> dict[str, Any]:
    """What a script's placeholders are filled with: who calls (and for which firm: the agency of an
    agency collector, otherwise the platform), on whose behalf, and the debt."""
    platform_name = borrower.platform.name
    agency = user.agency if user.agency_id else None
    return {
        "collector_name": user.get_full_name() or user.username,
        "firm_name": agency.name if agency is not None else platform_name,
        "platform_name": platform_name,
        "borrower_name": borrower.full_name,
        "loan_ref": case.loan.external_id,
        "dpd": max(case.dpd, 0),
        "amount": f"{case.overdue_amount:,.2f}",
        "currency": case.loan.currency,
    }


def scripts_for_call(*, case: Case, borrower: Borrower, user: User) -> list[ShownScript]:
    """The scripts a call on this case shows, one per pack of the borrower (pack order: the jurisdiction,
    then a state overlay): for each pack the script of the case's stage, else the pack's all-stage one,
    in the borrower's language when there is one, else English, else Chinese. Placeholders filled in."""
    codes = packs_for_region(borrower.region, borrower.platform.default_jurisdiction)
    candidates = list(
        CallScript.objects.filter(pack__in=codes, stage__in=(case.stage, ""), active=True).prefetch_related(
            "disclosures"
        )
    )
    languages = _language_order(borrower.language or "en")
    values = script_values(case, borrower, user)
    shown = []
    for code in codes:
        of_pack = [s for s in candidates if s.pack == code]
        if not of_pack:
            continue
        # The borrower's language first (a disclosure must be understood), then the stage's own script
        # over the pack's all-stage one.
        best = min(of_pack, key=lambda s: (languages.index(s.language), s.stage != case.stage))
        shown.append(
            ShownScript(
                pack=best.pack,
                stage=best.stage,
                language=best.language,
                title=best.title,
                body=fill(best.body, values),
                disclosures=[
                    ShownDisclosure(pack=best.pack, code=d.code, text=fill(d.text, values), required=d.required)
                    for d in best.disclosures.all()
                ],
            )
        )
    return shown


def disclosure_choices(scripts: list[ShownScript]) -> list[tuple[str, str]]:
    """The outcome form's checkboxes: one per disclosure, its text as the label (read aloud from it)."""
    return [(d.key, d.text) for s in scripts for d in s.disclosures]


def disclosures_delivered(scripts: list[ShownScript], read: Iterable[str]) -> list[dict[str, Any]]:
    """The record written on the contact: every disclosure the call showed, as shown, and whether it was
    read. Kept with the text, so a later edit of the script does not change what a review sees."""
    ticked = set(read)
    return [
        {
            "pack": s.pack,
            "code": d.code,
            "text": d.text,
            "required": d.required,
            "read": d.key in ticked,
        }
        for s in scripts
        for d in s.disclosures
    ]
