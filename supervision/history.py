"""Record history for the audit page: who changed what on the case, loan and borrower, and when.

Built from django-simple-history snapshots: each snapshot is diffed against the one before it
(`diff_against`), so a reviewer sees field-by-field old → new values next to the contact they audit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from borrowers.models import Borrower
from cases.models import Case, Loan

# Enough to cover the weeks around a contact without turning the page into a dump of every snapshot.
HISTORY_LIMIT = 40
# Fields that change on every save and say nothing to a reviewer.
NOISE = {"updated_at", "priority", "risk_score", "risk_factors", "next_action_at"}
# Never shown, even masked: encrypted or hashed secrets.
HIDDEN = {"national_id_encrypted", "password"}


@dataclass
class Change:
    field: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    model: str
    object_id: int
    when: dt.datetime
    who: str
    kind: str  # "+" created, "~" changed, "-" deleted
    reason: str
    after_contact: bool
    changes: list[Change] = field(default_factory=list)


TYPE_LABELS = {"+": "created", "~": "changed", "-": "deleted"}


def _entries(instance: Case | Loan | Borrower | None, label: str, around: dt.datetime) -> list[HistoryEntry]:
    if instance is None:
        return []
    records = list(
        instance.history.select_related("history_user").order_by("-history_date", "-history_id")[: HISTORY_LIMIT + 1]
    )
    verbose = {f.name: str(f.verbose_name) for f in instance._meta.fields}
    entries: list[HistoryEntry] = []
    # Newest first; each record is compared with the next (older) one. The extra record fetched above
    # is only there to diff the oldest shown entry against.
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(entries) == HISTORY_LIMIT:
            break
        changes: list[Change] = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older, excluded_fields=NOISE | HIDDEN)
            changes = [Change(verbose.get(c.field, c.field), c.old, c.new) for c in delta.changes]
            if not changes:
                continue  # a save that touched only noise fields
        user = newer.history_user
        entries.append(
            HistoryEntry(
                model=label,
                object_id=instance.pk,
                when=newer.history_date,
                who=(user.get_full_name() or user.username) if user else _("system"),
                kind=newer.history_type,
                reason=newer.history_change_reason or "",
                after_contact=newer.history_date > around,
                changes=changes,
            )
        )
    return entries


def record_history(*, case: Case | None, borrower: Borrower | None, around: dt.datetime) -> list[HistoryEntry]:
    """The case's, its loan's and the borrower's changes, newest first, each flagged before/after `around`."""
    loan = case.loan if case is not None else None
    entries = (
        _entries(case, _("Case"), around)
        + _entries(loan, _("Loan"), around)
        + _entries(borrower, _("Borrower"), around)
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)
