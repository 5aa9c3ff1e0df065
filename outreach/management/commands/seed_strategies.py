"""Install (or bring up to date) the demo reminder strategy and its templates. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from outreach.models import MessageTemplate, Strategy, StrategyStep
from outreach.strategy_data import DEMO_STRATEGY_NAME, STEPS, TEMPLATES


def seed_strategies() -> Strategy:
    with transaction.atomic():
        for data in TEMPLATES:
            template = MessageTemplate.objects.filter(code=data["code"], language=data["language"]).first()
            template = template or MessageTemplate(code=data["code"], language=data["language"])
            template.channel = data["channel"]
            template.subject = data.get("subject", "")
            template.body = data["body"]
            template.active = True
            template.full_clean()  # the placeholders and the content screener
            template.save()
        strategy, _ = Strategy.objects.get_or_create(
            name=DEMO_STRATEGY_NAME,
            defaults={"description": "Default for every platform, product and risk segment.", "active": True},
        )
        for offset, channel, template_code, conditions in STEPS:
            step = StrategyStep.objects.filter(strategy=strategy, offset_days=offset, channel=channel).first()
            step = step or StrategyStep(strategy=strategy, offset_days=offset, channel=channel)
            step.template_code = template_code
            step.conditions = conditions
            step.active = True
            step.full_clean()
            step.save()
    return strategy


class Command(BaseCommand):
    help = "Install the demo reminder strategy (T-3 … +91) and its zh-hans/en templates. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = seed_strategies()
        self.stdout.write(f"strategy {strategy.name!r}: {strategy.steps.count()} steps")
