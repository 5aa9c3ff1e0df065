"""Callbacks a borrower asks for ("call me at 6 pm"): a `Task` of kind CALLBACK for the collector, due at
the requested time, which must be one at which the gate would allow the call. When it would not, the
refusal carries the gate's next allowed time for the collector to propose instead.

The check is the gate's preview (compliance.preview) at the requested instant, with the contact log as
it stands; the call itself is asked of the gate again when the collector makes it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from borrowers.models import Borrower, Channel
from cases.models import Case
from compliance.preview import Verdict, callable_now, load_histories, preview

from .models import Task, TaskKind, TaskStatus


class CallbackNotAllowed(ValidationError):
    """The gate would not allow a call at the requested time; `proposed_at` is its next allowed time (None
    when the block does not lift with time)."""

    def __init__(self, message: str, *, reasons: list[str], proposed_at: dt.datetime | None) -> None:
        super().__init__({"callback_at": [message]})
        self.reasons = reasons
        self.proposed_at = proposed_at


def callback_verdict(*, case: Case, at: dt.datetime, to: str = "") -> Verdict:
    """What the gate would say about calling the case's borrower at `at` (on `to`, else any valid phone)."""
    borrower = (
        Borrower.objects.select_related("platform")
        .prefetch_related("phones", "emails", "opt_outs")
        .get(pk=case.borrower_id)
    )
    history = load_histories([borrower], at=timezone.now())[borrower.pk]
    if to:
        return preview(history, channel=Channel.CALL, to=to, at=at, loan_id=case.loan_id, case_id=case.pk)
    return callable_now(history, at=at, loan_id=case.loan_id)


def callback_schedule(*, case: Case, user: User, at: dt.datetime, to: str = "", note: str = "") -> Task:
    """The case's callback task, due at `at`, assigned to `user` (one open callback per case: asking again
    moves it). Raises CallbackNotAllowed when the gate would not allow the call then."""
    if at <= timezone.now():
        raise ValidationError({"callback_at": [_("A callback is set for a time still to come.")]})
    verdict = callback_verdict(case=case, at=at, to=to)
    if not verdict.allowed:
        raise CallbackNotAllowed(
            _("A call would not be allowed then: %(reasons)s") % {"reasons": "; ".join(verdict.reason_texts)},
            reasons=verdict.reason_texts,
            proposed_at=verdict.next_allowed_at,
        )
    reason = (_("Callback requested") + (f": {note}" if note else ""))[:200]
    with transaction.atomic():
        task = (
            Task.objects.select_for_update().filter(case=case, kind=TaskKind.CALLBACK, status=TaskStatus.OPEN).first()
        )
        if task is None:
            return Task.objects.create(case=case, assigned_to=user, kind=TaskKind.CALLBACK, due_at=at, reason=reason)
        task.due_at, task.assigned_to, task.reason = at, user, reason
        task.save(update_fields=["due_at", "assigned_to", "reason"])
        return task
