"""Install (or bring up to date) the demo reminder strategy, the repayment plan reminders and their
templates. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from outreach.models import MessageTemplate, Strategy, StrategyKind, StrategyStep
from outreach.strategy_data import (
    DEMO_STRATEGY_NAME,
    PLAN_STEPS,
    PLAN_STRATEGY_NAME,
    PLAN_TEMPLATES,
    STEPS,
    TEMPLATES,
)


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
        step = StrategyStep.objects.filter(strategy=strategy, offset_days=offset, channel=channel).first()
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


class Command(BaseCommand):
    help = (
        "Install the demo reminder strategy (T-3 … +91), the repayment plan reminders (T-1, T0) and their "
        "zh-hans/en templates. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = seed_strategies()
        self.stdout.write(f"strategy {strategy.name!r}: {strategy.steps.count()} steps")
        plan = Strategy.objects.get(kind=StrategyKind.PLAN, name=PLAN_STRATEGY_NAME)
        self.stdout.write(f"strategy {plan.name!r}: {plan.steps.count()} steps")
