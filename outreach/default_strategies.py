"""The default strategies and their templates (zh-hans and en), and their installation (`seed_strategies`,
run by `manage.py seed_strategies` and the demo).

The steps follow the staged practice of the reference articles: gentle reminders before and on the due
day (温和提醒, 还款提醒), SMS plus a reminder robot (智能语音机器人) in the first week, a collector's call
from day 8, a lawyer letter (律师函) with an offer to agree a repayment plan (协商还款计划) from day 31, a
final notice from day 61 and a referral (legal or agency placement) from day 91.
"""

from __future__ import annotations

from django.db import transaction

from .models import MessageTemplate, Strategy, StrategyKind, StrategyStep

DEMO_STRATEGY_NAME = "Default staged reminders"

TEMPLATES: list[dict[str, str]] = [
    # code, channel, language, subject, body
    {
        "code": "pre-due-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】温馨提示：{borrower_name}您好，您的借款{loan_ref}本期应还{amount}{currency}，"
        "还款日为{due_date}，请按时还款，保持良好信用记录。{opt_out}",
    },
    {
        "code": "pre-due-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: Hi {borrower_name}, a friendly reminder that {amount} {currency} on loan "
        "{loan_ref} is due on {due_date}. {opt_out}",
    },
    {
        "code": "due-day-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】还款提醒：{borrower_name}您好，今天({due_date})是您借款{loan_ref}的还款日，"
        "应还{amount}{currency}。如已还款请忽略本短信。{opt_out}",
    },
    {
        "code": "due-day-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: {borrower_name}, today ({due_date}) {amount} {currency} is due on loan {loan_ref}. "
        "If you have already paid, please ignore this message. {opt_out}",
    },
    {
        "code": "overdue-sms",
        "channel": "sms",
        "language": "zh-hans",
        "body": "【{platform_name}】逾期提醒：{borrower_name}您好，您的借款{loan_ref}已逾期{dpd}天，"
        "待还{amount}{currency}。如遇还款困难，欢迎联系我们协商还款计划。{opt_out}",
    },
    {
        "code": "overdue-sms",
        "channel": "sms",
        "language": "en",
        "body": "{platform_name}: {borrower_name}, loan {loan_ref} is overdue "
        "(days past due: {dpd}; {amount} {currency}). "
        "If paying is difficult, contact us to agree a repayment plan. {opt_out}",
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

# offset_days, channel, template code, conditions
STEPS: list[tuple[int, str, str, dict]] = [
    (-3, "sms", "pre-due-sms", {}),
    (-1, "sms", "pre-due-sms", {}),
    (0, "sms", "due-day-sms", {}),
    (1, "sms", "overdue-sms", {"no_payment_since_days": 1}),
    (1, "call", "robot-call", {"no_payment_since_days": 1}),
    (4, "sms", "overdue-sms", {"no_payment_since_days": 3, "no_response": True}),
    (8, "task", "", {"no_response": True, "response_window_days": 7}),
    (31, "letter", "lawyer-letter", {"no_payment_since_days": 14}),
    (61, "letter", "final-notice", {"no_payment_since_days": 14}),
    (91, "placement", "", {}),
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


def _seed_steps(strategy: Strategy, steps: list[tuple[int, str, str, dict]]) -> None:
    for offset, channel, template_code, conditions in steps:
        # The strategy's own step: a challenger arm's step on the same day is the arm's (outreach.experiments).
        mine = StrategyStep.objects.filter(strategy=strategy, arm__isnull=True)
        step = mine.filter(offset_days=offset, channel=channel).first()
        step = step or StrategyStep(strategy=strategy, offset_days=offset, channel=channel)
        step.template_code = template_code
        step.conditions = conditions
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
        _seed_steps(strategy, [(offset, channel, code, {}) for offset, channel, code in PLAN_STEPS])
    return strategy


def seed_strategies() -> Strategy:
    """Both strategies; returns the demo (delinquency) strategy."""
    with transaction.atomic():
        _seed_templates(TEMPLATES)
        strategy, _ = Strategy.objects.get_or_create(
            name=DEMO_STRATEGY_NAME,
            defaults={"description": "Default for every platform, product and risk segment.", "active": True},
        )
        _seed_steps(strategy, STEPS)
        seed_plan_strategy()
    return strategy
