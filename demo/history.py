"""Six months of the demo book's past collection work, so every chart of the dashboard has real shapes on
first run: the calls and texts of each late case while it was late, the promises they produced (kept when
the loan's own payment history has a payment by the promised day, broken or partly kept otherwise), the
call before each payment that counts it to a channel, assignments and agency placements at the time they
would have been made, and a few calls the compliance gate refused at night.

Every text and call goes through the compliance gate at its own time, in time order, as it would have
live: the gate records it with its decision and evidence link, or refuses it (a daily cap, a cooldown, an
opt-out: the blocks chart has its months too); a promise is written only for a call the gate allowed.
Written once: a second run finds the history and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from borrowers.zones import borrower_zone
from cases.events import case_event_build, case_events_record
from cases.models import ZERO, Case, CaseEvent, Installment, Loan, Payment
from compliance.actions import Actor, OutreachAction
from compliance.services import outreach_authorize
from contacts.models import ContactAttempt
from repayment_plans.models import Promise, PromiseStatus

from .portfolio import book_collector, cured_m1_case

HISTORY_NOTE = "Demo history"
SEED = 20261203
DAYS = 183  # six months
# Outcomes of a call that is not the one before a payment, weighted as a day's dialling goes.
CALL_OUTCOMES = (
    ["no_answer"] * 5
    + ["busy"] * 2
    + ["voicemail"] * 2
    + ["right_party"] * 2
    + ["promise"] * 2
    + ["refused", "connected"]
)
GRACE = dt.timedelta(days=2)
REMINDER = "Your loan payment is overdue. Please pay or call us to agree a plan. Reply STOP to opt out."
# Where a placement and the assignment before it sit in a case's past: the day after it went late, and a
# few days after it crossed into M3+ (91 days past due).
ASSIGNED_AFTER = dt.timedelta(days=1)
PLACED_AFTER = dt.timedelta(days=93)


@dataclass
class Planned:
    """One past text or call, to go through the gate at its time; the promise it made, if it did."""

    at: dt.datetime
    case: Case
    to: str
    channel: str
    outcome: str
    duration_s: int
    actor: User
    promise: Promise | None = None

    def action(self) -> OutreachAction:
        case = self.case
        return OutreachAction(
            borrower=case.borrower,
            channel=self.channel,
            to=self.to,
            loan=case.loan,
            case=case,
            at=self.at,
            outcome=self.outcome,
            duration_s=self.duration_s or None,
            notes=HISTORY_NOTE,
            message=REMINDER if self.channel == "sms" else "",
        )

    def who(self) -> Actor:
        return Actor.of_user(self.actor) if self.channel == "call" else Actor.scheduler()


def _local(day: dt.date, hour: int, minute: int, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)


def seed_history(*, users: dict[str, User], log: Callable[[str], None] = lambda _msg: None) -> int:
    """Write the book's past six months once; returns the number of contacts written (0 when already there)."""
    if ContactAttempt.objects.filter(notes=HISTORY_NOTE).exists():
        return 0
    now = timezone.now()
    with transaction.atomic():
        cured = _past_cures(users=users, now=now)
        _backdate_holders(now)
        made, promises = 0, []
        for planned in _plan(users=users, now=now):
            result = outreach_authorize(action=planned.action(), actor=planned.who())
            if result.allowed:
                made += 1
                if planned.promise is not None:
                    promises.append(planned.promise)
        Promise.objects.bulk_create(promises, batch_size=1000)
    refused = _refused_at_night(now=now)
    log(
        f"History of the last six months: {cured} past delinquencies cured, {made} contacts through the gate, "
        f"{len(promises)} promises, {refused} calls refused at night."
    )
    return made


def _past_cures(*, users: dict[str, User], now: dt.datetime) -> int:
    """A case for each installment of the last six months paid two days late or more on a loan that has no
    case (a loan in good standing today that slipped): opened as M1 the day after the due date, handed to
    the collector of its book, closed as cured by the payment. The cure cohorts have their months."""
    start, stop = (now - dt.timedelta(days=DAYS)).date(), now - dt.timedelta(days=3)
    with_cases = Case.objects.values("loan_id")
    late = [
        (loan_id, due, paid)
        for loan_id, due, paid in Installment.objects.filter(
            due_date__gte=start, paid_off_at__isnull=False, paid_off_at__lt=stop
        )
        .exclude(loan_id__in=with_cases)
        .order_by("loan_id", "due_date")
        .values_list("loan_id", "due_date", "paid_off_at")
        if paid is not None and paid.date() >= due + dt.timedelta(days=2)
    ]
    loans = Loan.objects.in_bulk({loan_id for loan_id, _due, _paid in late})
    events = []
    for loan_id, due, paid in late:
        loan = loans[loan_id]
        opened = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(1, 0), tzinfo=dt.UTC)
        collector = book_collector(loan, users)
        cured = cured_m1_case(loan=loan, collector=collector, opened=opened, cured_at=paid)
        assigned = case_event_build(
            case_id=cured.case.pk,
            kind=CaseEvent.Kind.ASSIGNED,
            new=collector.username,
            actor=users["supervisor"],
            at=opened + dt.timedelta(hours=1),
        )
        events += [cured.opened, assigned, cured.closed]
    case_events_record(events)
    return len(late)


def _holder(case: Case, users: dict[str, User]) -> User:
    if case.assigned_to is not None:
        return case.assigned_to
    return book_collector(case.loan, users)


def _plan(*, users: dict[str, User], now: dt.datetime) -> list[Planned]:
    rng = random.Random(SEED)
    start = now - dt.timedelta(days=DAYS)
    # The last three days are yesterday's work (demo.activity), written through the gate.
    stop = now - dt.timedelta(days=3)
    cases = list(
        Case.objects.filter(opened_at__lt=stop, opened_at__isnull=False)
        .exclude(stage="pre_due", status="open")
        .select_related("borrower", "loan", "assigned_to")
        .prefetch_related("borrower__phones")
        .order_by("id")
    )
    paid: dict[int, list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    for loan_id, paid_at, amount in Payment.objects.filter(loan__in=[c.loan_id for c in cases]).values_list(
        "loan_id", "paid_at", "amount"
    ):
        paid[loan_id].append((paid_at, amount))
    contacts: list[Planned] = []
    for case in cases:
        _case_history(
            case,
            rng=rng,
            paid=paid[case.loan_id],
            actor=_holder(case, users),
            start=start,
            stop=stop,
            now=now,
            contacts=contacts,
        )
    return sorted(contacts, key=lambda p: (p.at, p.case.pk))


def _case_history(
    case: Case,
    *,
    rng: random.Random,
    paid: list[tuple[dt.datetime, Decimal]],
    actor: User,
    start: dt.datetime,
    stop: dt.datetime,
    now: dt.datetime,
    contacts: list[Planned],
) -> None:
    """One case's texts and calls while it was late in the last six months, and the promise a call made."""
    begin, end = max(case.opened_at, start), min(case.closed_at or stop, stop)
    if begin >= end:
        return
    borrower = case.borrower
    zone = borrower_zone(borrower) or dt.UTC
    phones = [p.number for p in borrower.phones.all() if not p.invalid]
    if not phones:
        return

    def contact(at: dt.datetime, channel: str, outcome: str, duration_s: int = 0) -> None:
        contacts.append(
            Planned(
                at=at, case=case, to=phones[0], channel=channel, outcome=outcome, duration_s=duration_s, actor=actor
            )
        )

    def promise(made_at: dt.datetime, due: dt.date, amount: Decimal) -> None:
        closes = dt.datetime.combine(due, dt.time.max, tzinfo=dt.UTC) + GRACE
        if closes >= now:
            return  # still open: the live promises are yesterday's (demo.activity)
        got = sum((a for at, a in paid if made_at < at <= closes), ZERO)
        status = PromiseStatus.KEPT if got >= amount else PromiseStatus.PARTLY_KEPT if got else PromiseStatus.BROKEN
        contacts[-1].promise = Promise(
            case_id=case.pk,
            amount=amount,
            due_date=due,
            status=status,
            paid_amount=min(got, amount),
            created_by=actor,
            resolved_at=closes,
        )

    # A text on the second day late, then a call every six to eleven days, within working hours.
    contact(_local((begin + dt.timedelta(days=1)).astimezone(zone).date(), 10, 0, zone), "sms", "delivered")
    day = begin + dt.timedelta(days=rng.randint(2, 5))
    while day < end:
        at = _local(day.astimezone(zone).date(), rng.randint(9, 17), rng.randrange(0, 60, 5), zone)
        outcome = rng.choice(CALL_OUTCOMES)
        if outcome == "promise" and rng.random() < 0.6:
            outcome = "right_party"  # most conversations end without a firm date and amount
        talked = outcome in ("right_party", "promise", "refused", "connected")
        contact(at, "call", outcome, duration_s=rng.randint(60, 420) if talked else 0)
        if outcome == "promise":
            amount = min(max(case.overdue_amount, Decimal("100.00")), Decimal("800.00")).quantize(Decimal("1"))
            promise(at, (at + dt.timedelta(days=rng.randint(3, 7))).date(), amount)
        day += dt.timedelta(days=rng.randint(6, 11))
    # The conversation before each payment: a promise of that payment, kept.
    for paid_at, amount in paid:
        if not begin + dt.timedelta(days=2) <= paid_at <= end:
            continue
        at = _local((paid_at - dt.timedelta(days=rng.randint(1, 3))).astimezone(zone).date(), 11, 30, zone)
        contact(at, "call", "promise", duration_s=rng.randint(120, 480))
        promise(at, paid_at.date(), amount)


def _backdate_holders(now: dt.datetime) -> None:
    """The demo hands its cases out today (demo.portfolio); a book collected for months was handed out
    when each case went late, and placed a few days into M3+: move those events back to then, so the
    payments since are credited to whoever held the case (docs/kpis.md)."""
    for case_id, opened_at in Case.objects.filter(opened_at__isnull=False).values_list("id", "opened_at"):
        for kind, after in ((CaseEvent.Kind.ASSIGNED, ASSIGNED_AFTER), (CaseEvent.Kind.PLACED, PLACED_AFTER)):
            when = min(opened_at + after, now - dt.timedelta(days=1))
            CaseEvent.objects.filter(case_id=case_id, kind=kind, at__gt=when).update(at=when)


def _refused_at_night(*, now: dt.datetime) -> int:
    """A few calls a month attempted at 22:30 on the borrower's clock, refused by the gate (quiet hours):
    the compliance blocks chart has its months too."""
    rng = random.Random(SEED + 1)
    cases = list(
        Case.objects.open()
        .filter(dpd__gt=30, assigned_to__isnull=False)
        .select_related("borrower", "loan", "assigned_to")
        .order_by("id")[:24]
    )
    refused = 0
    for n, case in enumerate(cases):
        zone = borrower_zone(case.borrower) or dt.UTC
        day = (now - dt.timedelta(days=5 + (n * 7) % (DAYS - 10) + rng.randint(0, 3))).astimezone(zone).date()
        at = dt.datetime.combine(day, dt.time(22, 30), tzinfo=zone)
        result = outreach_authorize(
            action=OutreachAction(
                borrower=case.borrower, channel="call", loan=case.loan, case=case, at=at, notes=HISTORY_NOTE
            ),
            actor=Actor.of_user(case.assigned_to),
        )
        refused += int(not result.allowed)
    return refused
