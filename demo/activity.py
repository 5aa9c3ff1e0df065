"""The demo's working history and operations set-up: strategies, collector capacity, the agency's
contract, yesterday's calls and texts (through the compliance gate, so the audit, the evidence chain
and the dashboard have something to show), a few promises, and today's reminder jobs.

Each part is idempotent: it adds only what is missing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, User
from borrowers.zones import borrower_zone
from cases.models import Case
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from contacts.models import ContactAttempt
from outreach.call_scripts import seed_call_scripts
from outreach.default_strategies import seed_strategies
from outreach.models import CollectorProfile
from outreach.planning import reminders_plan
from repayment_plans.models import Promise
from repayment_plans.services import promise_create
from supervision.models import AgencyContract

SEED = 20261125
CALL_OUTCOMES = ["no_answer", "no_answer", "busy", "voicemail", "right_party", "promise", "connected", "refused"]


def seed_operations(*, users: dict[str, User], agency: Agency, log: Callable[[str], None]) -> None:
    seed_strategies(segments=True)
    seed_call_scripts()  # a flushed database (the demo's reset) lost what the data migration seeded
    for name, specialist in (("collector", False), ("collector2", True)):
        CollectorProfile.objects.get_or_create(
            user=users[name], defaults={"daily_capacity": 40, "specialist": specialist}
        )
    AgencyContract.objects.get_or_create(
        agency=agency,
        defaults={
            "commission_percent": Decimal("12.50"),
            "evaluation_due_on": timezone.localdate() + dt.timedelta(days=200),
            "notes": "Demo contract",
        },
    )
    made = _seed_contacts(users=users)
    if made:
        log(f"Recorded {made} past contacts through the compliance gate.")

    planned = reminders_plan()
    log(f"Reminder jobs planned: {planned.jobs_created}.")


def _seed_contacts(*, users: dict[str, User]) -> int:
    """Yesterday's work for the demo collectors, each action through the gate as it would be live."""

    if ContactAttempt.objects.exists():
        return 0
    rng = random.Random(SEED)
    cases = list(
        Case.objects.open()
        .filter(assigned_to__username__in=["collector", "collector2"], dpd__gt=0)
        .select_related("borrower", "loan", "assigned_to")
        .prefetch_related("borrower__phones")
        .order_by("id")[:60]
    )
    made = 0
    for n, case in enumerate(cases):
        borrower = case.borrower
        phones = list(borrower.phones.all())
        zone = borrower_zone(borrower) or dt.UTC
        day = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=1 + n % 3)
        at = dt.datetime.combine(day, dt.time(10 + n % 8, (7 * n) % 60), tzinfo=zone)
        outcome = rng.choice(CALL_OUTCOMES)
        with transaction.atomic():
            action = OutreachAction(
                borrower=borrower,
                channel="call",
                to=phones[0].number if phones else None,
                loan=case.loan,
                case=case,
                at=at,
                outcome=outcome,
                duration_s=rng.randint(40, 400) if outcome not in ("no_answer", "busy") else 0,
                notes="Demo call",
            )
            result = outreach_authorize(action=action, actor=Actor.of_user(case.assigned_to))
            made += int(result.allowed)
            if result.allowed and outcome == "promise" and not Promise.objects.filter(case=case).exists():
                promise_create(
                    case=case,
                    amount=min(case.overdue_amount, Decimal("500.00")),
                    due_date=timezone.localdate() + dt.timedelta(days=3 + n % 5),
                    created_by=case.assigned_to,
                )
    return made
