"""The default strategies and their templates (zh-hans and en), and their installation (`seed_strategies`,
run by `manage.py seed_strategies` and the demo).

The steps follow the staged practice of the reference articles: gentle reminders before and on the due
day (温和提醒, 还款提醒), SMS plus a reminder robot (智能语音机器人) in the first week, a collector's call
from day 8, a lawyer letter (律师函) with an offer to agree a repayment plan (协商还款计划) from day 31, a
final notice from day 61 and a referral (legal or agency placement) from day 91.

A step may apply over a window of days (the robot call over DPD 1–7), so a case that enters late in the
window still gets it, once. Beside the default (any segment) there is one strategy per risk segment and a
humane one for vulnerable borrowers, which the selection prefers (outreach.planning): low risk hears only
SMS and app push until DPD 7; high risk gets a collector's call task from DPD 1; a vulnerable borrower gets
no robot call, no lawyer letter and no placement, but a specialist's call and an offer of help
(docs/strategies.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from .models import MessageTemplate, Strategy, StrategyKind, StrategyStep

DEMO_STRATEGY_NAME = "Default staged reminders"

# Every SMS carries a link to the borrower portal ({portal_link}), where the borrower pays, promises or
# chooses a plan at a time that suits them; a space follows it, so that a phone reads no words into it.
TEMPLATES: list[dict[str, str]] = [
    # code, channel, language, subject, body
    {
        "code": "pre-due-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】温馨提示：{borrower_name}您好，您的借款{loan_ref}本期应还{amount}{currency}，"
        "还款日为{due_date}。在线还款或查看账单：{portal_link} {opt_out}",
    },
    {
        "code": "pre-due-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: Hi {borrower_name}, a friendly reminder that {amount} {currency} on loan "
        "{loan_ref} is due on {due_date}. Pay or see your options: {portal_link} {opt_out}",
    },
    {
        "code": "due-day-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】还款提醒：{borrower_name}您好，今天({due_date})是您借款{loan_ref}的还款日，"
        "应还{amount}{currency}。在线还款：{portal_link} 如已还款请忽略。{opt_out}",
    },
    {
        "code": "due-day-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: {borrower_name}, today ({due_date}) {amount} {currency} is due on loan {loan_ref}. "
        "Pay here: {portal_link} If you have already paid, please ignore this message. {opt_out}",
    },
    {
        "code": "overdue-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】逾期提醒：{borrower_name}您好，您的借款{loan_ref}已逾期{dpd}天，"
        "待还{amount}{currency}。如遇还款困难，可在线选择分期或延期：{portal_link} {opt_out}",
    },
    {
        "code": "overdue-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: {borrower_name}, loan {loan_ref} is overdue "
        "(days past due: {dpd}; {amount} {currency}). "
        "Pay, or choose a repayment plan if paying is difficult: {portal_link} {opt_out}",
    },
    {
        "code": "robot-call",
        "channel": "call",
        "language": "zh-hans",
        "body": "您好，这里是{platform_name}的智能语音还款提醒。您的借款已逾期{dpd}天，待还{amount}{currency}。"
        "如需协商还款，请回电或在应用内联系我们。",
    },
    {
        "code": "robot-call",
        "channel": "call",
        "language": "en",
        "body": "Hello, this is an automated payment reminder from {platform_name}. Your loan is overdue "
        "(days past due: {dpd}) with {amount} {currency} outstanding. Please call us back or contact us in the app to arrange payment.",
    },
    {
        "code": "lawyer-letter",
        "channel": "letter",
        "language": "zh-hans",
        "subject": "律师函：关于借款{loan_ref}的还款事宜",
        "body": "{borrower_name}：\n受{platform_name}委托，现就您的借款{loan_ref}致函。截至本函发出之日，"
        "该笔借款已逾期{dpd}天，待还金额{amount}{currency}。请您尽快还款；如确有困难，"
        "可与我们联系，协商分期、延期等还款计划。",
    },
    {
        "code": "lawyer-letter",
        "channel": "letter",
        "language": "en",
        "subject": "Letter from our solicitors about loan {loan_ref}",
        "body": "Dear {borrower_name},\nWe write on behalf of {platform_name} about loan {loan_ref}, which is "
        "overdue (days past due: {dpd}) with {amount} {currency} outstanding. Please pay as soon as you can; "
        "if you are in difficulty, contact us to agree an installment plan or a deferral.",
    },
    {
        "code": "final-notice",
        "channel": "letter",
        "language": "zh-hans",
        "subject": "最后还款通知：借款{loan_ref}",
        "body": "{borrower_name}：\n您的借款{loan_ref}已逾期{dpd}天，待还{amount}{currency}。"
        "这是我们在将账户转交专门团队处理前的最后通知。请尽快还款或联系我们商定还款计划。",
    },
    {
        "code": "final-notice",
        "channel": "letter",
        "language": "en",
        "subject": "Final notice: loan {loan_ref}",
        "body": "Dear {borrower_name},\nLoan {loan_ref} is overdue (days past due: {dpd}) with {amount} {currency} "
        "outstanding. This is our final notice before the account is referred to a specialist team. "
        "Please pay or contact us to agree a repayment plan.",
    },
]

SEGMENT_TEMPLATES: list[dict[str, str]] = [
    {
        "code": "overdue-push",
        "channel": "push",
        "language": "zh-hans",
        "subject": "还款提醒",
        "body": "{borrower_name}您好，您的借款{loan_ref}已逾期{dpd}天，待还{amount}{currency}。"
        "点击查看还款方式，如有困难可在应用内申请还款计划。",
    },
    {
        "code": "overdue-push",
        "channel": "push",
        "language": "en",
        "subject": "Payment reminder",
        "body": "{borrower_name}, loan {loan_ref} is overdue (days past due: {dpd}; {amount} {currency}). "
        "Tap to see how to pay, or ask for a repayment plan in the app.",
    },
    {
        "code": "support-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】{borrower_name}您好，您的借款{loan_ref}尚有{amount}{currency}未还。"
        "如果您目前遇到困难，我们可以一起商量更灵活的还款安排，请随时联系我们。{opt_out}",
    },
    {
        "code": "support-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: Hi {borrower_name}, {amount} {currency} is still outstanding on loan {loan_ref}. "
        "If things are difficult at the moment, we can agree a more flexible way to pay; contact us any time. "
        "{opt_out}",
    },
]


@dataclass(frozen=True)
class SeedStep:
    """One seeded step: from `offset` days after the due date (negative: before), through `until` when
    it is a window (None: until the next later step's day)."""

    offset: int
    channel: str
    template: str = ""
    conditions: dict[str, Any] = field(default_factory=dict)
    until: int | None = None


NO_PAYMENT_1 = {"no_payment_since_days": 1}
NO_PAYMENT_14 = {"no_payment_since_days": 14}

# The default (any segment): the medium-risk practice of the reference articles.
STEPS: list[SeedStep] = [
    SeedStep(-3, "sms", "pre-due-sms"),
    SeedStep(-1, "sms", "pre-due-sms"),
    SeedStep(0, "sms", "due-day-sms"),
    SeedStep(1, "sms", "overdue-sms", NO_PAYMENT_1),
    # The reminder robot over the first week: a case entering at DPD 5 still gets its call.
    SeedStep(1, "call", "robot-call", NO_PAYMENT_1, until=7),
    SeedStep(4, "sms", "overdue-sms", {"no_payment_since_days": 3, "no_response": True}),
    SeedStep(8, "task", "", {"no_response": True, "response_window_days": 7}),
    SeedStep(31, "letter", "lawyer-letter", NO_PAYMENT_14),
    SeedStep(61, "letter", "final-notice", NO_PAYMENT_14),
    SeedStep(91, "placement"),
]

# Low risk: SMS and app push only until DPD 7 (most pay on a nudge); the robot in the second week, a
# person from day 15.
LOW_RISK_STEPS: list[SeedStep] = [
    SeedStep(-3, "sms", "pre-due-sms"),
    SeedStep(0, "sms", "due-day-sms"),
    SeedStep(1, "push", "overdue-push", NO_PAYMENT_1, until=3),
    SeedStep(3, "sms", "overdue-sms", NO_PAYMENT_1, until=7),
    SeedStep(6, "push", "overdue-push", {"no_payment_since_days": 3}, until=7),
    SeedStep(8, "call", "robot-call", NO_PAYMENT_1, until=14),
    SeedStep(15, "task", "", {"no_response": True, "response_window_days": 7}),
    SeedStep(31, "letter", "lawyer-letter", NO_PAYMENT_14),
    SeedStep(61, "letter", "final-notice", NO_PAYMENT_14),
    SeedStep(91, "placement"),
]

# High risk: a person from DPD 1 (a collector's call task), the robot and SMS around it, the letter earlier.
HIGH_RISK_STEPS: list[SeedStep] = [
    SeedStep(-3, "sms", "pre-due-sms"),
    SeedStep(-1, "sms", "pre-due-sms"),
    SeedStep(0, "sms", "due-day-sms"),
    SeedStep(1, "task", "", NO_PAYMENT_1, until=7),
    SeedStep(1, "sms", "overdue-sms", NO_PAYMENT_1),
    SeedStep(2, "call", "robot-call", NO_PAYMENT_1, until=7),
    SeedStep(4, "sms", "overdue-sms", {"no_payment_since_days": 3}),
    SeedStep(21, "letter", "lawyer-letter", NO_PAYMENT_14, until=30),
    SeedStep(61, "letter", "final-notice", NO_PAYMENT_14),
    SeedStep(91, "placement"),
]

# Vulnerable borrowers (a declared vulnerability, or 65+): gentle words, a specialist's call, an offer of
# help; no autodialled robot, no lawyer letter, no placement: a person reviews the case instead.
VULNERABLE_STEPS: list[SeedStep] = [
    SeedStep(-3, "sms", "pre-due-sms"),
    SeedStep(0, "sms", "due-day-sms"),
    SeedStep(3, "sms", "support-sms", NO_PAYMENT_1, until=10),
    SeedStep(5, "task", "", {"no_response": True, "response_window_days": 5}, until=30),
    SeedStep(31, "sms", "support-sms", NO_PAYMENT_14, until=45),
    SeedStep(46, "task", "", {"no_response": True, "response_window_days": 14}),
]


@dataclass(frozen=True)
class SeedStrategy:
    name: str
    description: str
    steps: list[SeedStep]
    risk_segment: str = ""
    vulnerable: bool = False


SEGMENT_STRATEGIES: list[SeedStrategy] = [
    SeedStrategy(
        "Low risk: digital first",
        "Low risk segment: SMS and app push only until DPD 7, the robot in the second week, a collector from day 15.",
        LOW_RISK_STEPS,
        risk_segment="low",
    ),
    SeedStrategy(
        "High risk: a collector from day 1",
        "High risk segment: a collector's call task from DPD 1, the robot and SMS around it, the letter earlier.",
        HIGH_RISK_STEPS,
        risk_segment="high",
    ),
    SeedStrategy(
        "Vulnerable borrowers: humane",
        "Any segment, vulnerable borrowers (preferred over every other match): gentle SMS, a specialist's call, "
        "an offer of help; no robot call, no lawyer letter, no placement.",
        VULNERABLE_STEPS,
        vulnerable=True,
    ),
]

# While a repayment plan is active and on track, reminders follow the plan's own dates: a gentle SMS the
# day before and on the day each plan installment falls due (amount and date are the plan installment's).
PLAN_STRATEGY_NAME = "Repayment plan reminders"

PLAN_TEMPLATES: list[dict[str, str]] = [
    {
        "code": "plan-pre-due-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】温馨提示：{borrower_name}您好，您的还款计划本期将于{due_date}到期，"
        "金额{amount}{currency}。感谢您按计划还款。{opt_out}",
    },
    {
        "code": "plan-pre-due-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: Hi {borrower_name}, a friendly reminder that your repayment plan installment of "
        "{amount} {currency} is due on {due_date}. Thank you for keeping to your plan. {opt_out}",
    },
    {
        "code": "plan-due-day-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】还款计划提醒：{borrower_name}您好，今天({due_date})是您还款计划本期的还款日，"
        "金额{amount}{currency}。如已还款请忽略本短信。{opt_out}",
    },
    {
        "code": "plan-due-day-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: Hi {borrower_name}, today ({due_date}) your repayment plan installment of "
        "{amount} {currency} is due. If you have already paid, please ignore this message. {opt_out}",
    },
]

# offset_days (from the plan installment's due date), channel, template code
PLAN_STEPS: list[tuple[int, str, str]] = [
    (-1, "sms", "plan-pre-due-sms"),
    (0, "sms", "plan-due-day-sms"),
]


# --- installation ---------------------------------------------------------------------------------------


def _seed_templates(templates: list[dict[str, str]]) -> None:
    for data in templates:
        template = MessageTemplate.objects.filter(code=data["code"], language=data["language"]).first()
        template = template or MessageTemplate(code=data["code"], language=data["language"])
        template.channel = data["channel"]
        template.subject = data.get("subject", "")
        template.body = data["body"]
        template.active = True
        template.full_clean()  # the placeholders and the content screener
        template.save()


def _seed_steps(strategy: Strategy, steps: list[SeedStep]) -> None:
    for seed in steps:
        # The strategy's own step: a challenger arm's step on the same day is the arm's (outreach.experiments).
        mine = StrategyStep.objects.filter(strategy=strategy, arm__isnull=True)
        step = mine.filter(offset_days=seed.offset, channel=seed.channel).first()
        step = step or StrategyStep(strategy=strategy, offset_days=seed.offset, channel=seed.channel)
        step.template_code = seed.template
        step.conditions = dict(seed.conditions)
        step.until_days = seed.until
        step.active = True
        step.full_clean()
        step.save()


def seed_plan_strategy() -> Strategy:
    """The strategy whose steps follow an active repayment plan's own installment dates."""
    with transaction.atomic():
        _seed_templates(PLAN_TEMPLATES)
        strategy, _ = Strategy.objects.get_or_create(
            name=PLAN_STRATEGY_NAME,
            defaults={
                "kind": StrategyKind.PLAN,
                "description": "Gentle reminders on an active repayment plan's own dates (T-1 and T0).",
                "active": True,
            },
        )
        if strategy.kind != StrategyKind.PLAN:
            strategy.kind = StrategyKind.PLAN
            strategy.save(update_fields=["kind"])
        _seed_steps(strategy, [SeedStep(offset, channel, code) for offset, channel, code in PLAN_STEPS])
    return strategy


def seed_segment_strategies() -> list[Strategy]:
    """The strategies by risk segment and the humane one for vulnerable borrowers (beside the default)."""
    found = []
    with transaction.atomic():
        _seed_templates(SEGMENT_TEMPLATES)
        for seed in SEGMENT_STRATEGIES:
            strategy, _ = Strategy.objects.get_or_create(
                name=seed.name,
                defaults={
                    "description": seed.description,
                    "risk_segment": seed.risk_segment,
                    "vulnerable": seed.vulnerable,
                    "active": True,
                },
            )
            _seed_steps(strategy, seed.steps)
            found.append(strategy)
    return found


def seed_strategies(*, segments: bool = False) -> Strategy:
    """The default strategy, with `segments` the strategies by risk segment and the humane one for
    vulnerable borrowers (the install command and the demo seed them; a test that wants only the default
    leaves them out), and the plan strategy; returns the default (delinquency) strategy."""
    with transaction.atomic():
        _seed_templates(TEMPLATES)
        strategy, _ = Strategy.objects.get_or_create(
            name=DEMO_STRATEGY_NAME,
            defaults={"description": "Default for every platform, product and risk segment.", "active": True},
        )
        _seed_steps(strategy, STEPS)
        if segments:
            seed_segment_strategies()
        seed_plan_strategy()
    return strategy
