"""Install (or bring up to date) the demo reminder strategy, the repayment plan reminders and their
templates, and the default call scripts that are missing. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from outreach.call_scripts import seed_call_scripts
from outreach.default_strategies import PLAN_STRATEGY_NAME, seed_strategies
from outreach.models import Strategy, StrategyKind


class Command(BaseCommand):
    help = (
        "Install the demo reminder strategy (T-3 … +91), the repayment plan reminders (T-1, T0) and their "
        "zh-hans/en templates, and the default call scripts that are missing. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        strategy = seed_strategies(segments=True)
        self.stdout.write(f"strategy {strategy.name!r}: {strategy.steps.count()} steps")
        plan = Strategy.objects.get(kind=StrategyKind.PLAN, name=PLAN_STRATEGY_NAME)
        self.stdout.write(f"strategy {plan.name!r}: {plan.steps.count()} steps")
        self.stdout.write(f"call scripts created: {seed_call_scripts()}")
