"""Best time to contact: per borrower, the hours of the week at which the history shows a right-party
contact or a payment, in the borrower's local time (borrowers.zones), as a small histogram anyone can
read ("Tuesdays 19:00–20:00: 2 conversations, 1 payment").

It is a preference, never a permission: the planner schedules a reminder at the best hour of the day the
step is due (outreach.planning.scheduled_time) only among daytime hours every rule pack permits
(CANDIDATE_HOURS), My day's worklist puts first the borrowers whose good hour it is now
(workspace.selectors), and the compliance gate still decides every contact when it is made.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import ExtractHour
from django.utils import timezone

from borrowers.models import Borrower
from borrowers.zones import primary_zone, tz
from cases.models import Payment
from contacts.models import ContactAttempt, Direction, Outcome, Party

# How far back the history counts.
HISTORY_DAYS = 180
# A conversation with the borrower themself (not a third party, not an unanswered ring).
RIGHT_PARTY_OUTCOMES = frozenset({Outcome.RIGHT_PARTY, Outcome.PROMISE, Outcome.REFUSED, Outcome.DISPUTE})
# The local hours a best hour may be (08:00 to 20:59): inside the permitted hours of every rule pack (US
# and UK 08:00–21:00, CN 08:00–22:00), so a history of answering at night never schedules a night-time
# reminder. The gate still judges each send at its time.
CANDIDATE_HOURS = range(8, 21)
_CHUNK = 5000


@dataclass
class ContactHours:
    """One borrower's histogram: (ISO weekday 1–7, local hour 0–23) → right-party contacts, payments."""

    zone: str
    contacts: Counter[tuple[int, int]] = field(default_factory=Counter)
    payments: Counter[tuple[int, int]] = field(default_factory=Counter)

    @property
    def counts(self) -> Counter[tuple[int, int]]:
        return self.contacts + self.payments

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_hour(self) -> list[int]:
        """Events per local hour of the day, over every weekday (24 numbers)."""
        hours = [0] * 24
        for (_weekday, hour), n in self.counts.items():
            hours[hour] += n
        return hours

    def good_hours(self) -> list[int]:
        """The candidate hours (any weekday) with at least one event, most events first."""
        by_hour = self.by_hour()
        return sorted((h for h in CANDIDATE_HOURS if by_hour[h]), key=lambda h: (-by_hour[h], h))

    def best_hour(self, day: dt.date) -> int | None:
        """The candidate hour with most events on `day`'s weekday; else on any day; None without history."""
        weekday = day.isoweekday()
        counts = self.counts
        same_day = [(counts[(weekday, h)], h) for h in CANDIDATE_HOURS if counts[(weekday, h)]]
        if same_day:
            return min(same_day, key=lambda c: (-c[0], c[1]))[1]
        good = self.good_hours()
        return good[0] if good else None

    def top(self, n: int = 3) -> list[tuple[int, int, int, int]]:
        """The `n` busiest (weekday, hour) cells: (weekday, hour, contacts, payments), most first."""
        counts = self.counts
        cells = sorted(counts, key=lambda c: (-counts[c], c))[:n]
        return [(wd, h, self.contacts[(wd, h)], self.payments[(wd, h)]) for wd, h in cells]


def _zone_name(borrower_tz: str, region: str) -> str:
    return primary_zone(borrower_tz=borrower_tz or "", region=region or "") or "UTC"


def _cell(at: dt.datetime, zone: str) -> tuple[int, int]:
    local = at.astimezone(tz(zone))
    return local.isoweekday(), local.hour


def right_party_q() -> Q:
    """A contact that reached the borrower: a right-party outcome, or the borrower getting in touch."""
    return Q(outcome__in=RIGHT_PARTY_OUTCOMES) | Q(direction=Direction.INBOUND, party=Party.BORROWER)


def _events(borrower_ids: list[int], *, since: dt.datetime, now: dt.datetime) -> Any:
    """(borrower id, instant, "contact" or "payment") of the borrowers' right-party contacts and payments,
    in one query."""
    contacts = (
        ContactAttempt.objects.filter(borrower_id__in=borrower_ids, at__gte=since, at__lte=now)
        .filter(right_party_q())
        .annotate(kind=Value("contact"))
        .values_list("borrower_id", "at", "kind")
        .order_by()
    )
    payments = (
        Payment.objects.filter(loan__borrower_id__in=borrower_ids, paid_at__gte=since, paid_at__lte=now)
        .annotate(kind=Value("payment"))
        .values_list("loan__borrower_id", "paid_at", "kind")
        .order_by()
    )
    return contacts.union(payments, all=True)


def _fill(result: dict[int, ContactHours], borrower_ids: list[int], *, now: dt.datetime) -> None:
    since = now - dt.timedelta(days=HISTORY_DAYS)
    for borrower_id, at, kind in _events(borrower_ids, since=since, now=now):
        hours = result[borrower_id]
        counter = hours.contacts if kind == "contact" else hours.payments
        counter[_cell(at, hours.zone)] += 1


def contact_hours_for(borrower_ids: Iterable[int], *, now: dt.datetime | None = None) -> dict[int, ContactHours]:
    """The histogram of each borrower (two queries per 5,000 borrowers; every borrower gets one)."""
    now = now or timezone.now()
    ids = sorted(set(borrower_ids))
    result: dict[int, ContactHours] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for pk, borrower_tz, region in Borrower.objects.filter(pk__in=chunk).values_list("pk", "timezone", "region"):
            result[pk] = ContactHours(zone=_zone_name(borrower_tz, region))
        _fill(result, chunk, now=now)
    return result


def contact_hours(borrower: Any, *, now: dt.datetime | None = None) -> ContactHours:
    """One borrower's histogram (one query)."""
    result = {borrower.pk: ContactHours(zone=_zone_name(borrower.timezone, borrower.region))}
    _fill(result, [borrower.pk], now=now or timezone.now())
    return result[borrower.pk]


def good_hour_now_q(pairs: Iterable[tuple[str, str]], *, at: dt.datetime) -> Q | None:
    """Q of the cases whose borrower's history has a right-party contact or a payment at the local hour of
    `at` (any weekday), for the (region, time zone) pairs given; None when no pair is at a daytime hour.
    In SQL over the whole queue: one hour per zone, so the filter needs no per-case Python."""
    since = at - dt.timedelta(days=HISTORY_DAYS)
    condition: Q | None = None
    for region, borrower_tz in pairs:
        zone = tz(_zone_name(borrower_tz, region))
        hour = at.astimezone(zone).hour
        if hour not in CANDIDATE_HOURS:
            continue  # a good hour at night is never one to act on
        contacts = (
            ContactAttempt.objects.filter(borrower_id=OuterRef("borrower_id"), at__gte=since, at__lte=at)
            .filter(right_party_q())
            .annotate(local_hour=ExtractHour("at", tzinfo=zone))
            .filter(local_hour=hour)
        )
        payments = (
            Payment.objects.filter(loan__borrower_id=OuterRef("borrower_id"), paid_at__gte=since, paid_at__lte=at)
            .annotate(local_hour=ExtractHour("paid_at", tzinfo=zone))
            .filter(local_hour=hour)
        )
        pair = Q(borrower__region=region, borrower__timezone=borrower_tz) & (Q(Exists(contacts)) | Q(Exists(payments)))
        condition = pair if condition is None else condition | pair
    return condition
