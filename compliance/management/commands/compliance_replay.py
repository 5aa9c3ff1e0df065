"""Re-evaluate stored decisions from their stored facts and report any the rules would now decide
differently. Exits non-zero if any differ (so CI and auditors can rely on it)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from compliance.models import Decision
from compliance.replay import replay_decision


def _bound(value: str, *, end: bool) -> dt.datetime:
    # A bare date first: on Python 3.11 parse_datetime reads "2026-12-02" as its midnight, which would
    # make --until exclude the very day it names.
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is not None:
        parsed = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time(0))
    else:
        moment = parse_datetime(value)
        if moment is None:
            raise CommandError(f"Not a date or time: {value!r}")
        parsed = moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


class Command(BaseCommand):
    help = "Replay stored compliance decisions (one by id, or --since/--until) and report differences."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("decision_id", nargs="?", type=int, help="one decision")
        parser.add_argument("--since", help="evaluated at or after (date or ISO time, UTC if no offset)")
        parser.add_argument("--until", help="evaluated before (a date includes that whole day)")

    def handle(
        self, *args, decision_id: int | None = None, since: str | None = None, until: str | None = None, **options
    ) -> None:
        decisions = Decision.objects.order_by("id")
        if decision_id is not None:
            decisions = decisions.filter(pk=decision_id)
            if not decisions.exists():
                raise CommandError(f"No decision {decision_id}.")
        if since:
            decisions = decisions.filter(evaluated_at__gte=_bound(since, end=False))
        if until:
            decisions = decisions.filter(evaluated_at__lt=_bound(until, end=True))
        checked, differences = 0, []
        for decision in decisions.iterator(chunk_size=500):
            checked += 1
            difference = replay_decision(decision)
            if difference is not None:
                differences.append(difference)
                self.stdout.write(self.style.ERROR(difference.describe()))
        self.stdout.write(f"{checked} decision(s) replayed, {len(differences)} differ.")
        if differences:
            raise CommandError(f"{len(differences)} decision(s) would now be decided differently.", returncode=1)
