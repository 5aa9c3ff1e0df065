"""Escalation and early warning: unanswered reminders become a collector's call task, a borrower who
cannot be reached is flagged lost-contact and the supervisor alerted, a broken promise puts the case
back on its stage's strategy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, DateTimeField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Role, User
from borrowers.models import Borrower, Phone
from cases.models import Case
from contacts.models import CONVERSATION_OUTCOMES, ContactAttempt, Direction
from repayment_plans.models import Promise, PromiseStatus

from .assignment import cases_assign
from .models import MESSAGE_CHANNELS, Alert, AlertKind, JobStatus, ReminderJob, Task, TaskKind, TaskStatus
from .planning import frozen_q, reminders_plan

REFUSAL_WINDOW_DAYS = 30
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class EscalationResult:
    call_tasks: list[int] = field(default_factory=list)  # case ids
    lost_contact: list[int] = field(default_factory=list)  # borrower ids
    restaged: list[int] = field(default_factory=list)  # case ids back on their strategy
    assigned: int = 0


def case_supervisor(case: Case | None) -> User | None:
    """The supervisor of the team of the case's collector; else any active supervisor."""
    supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id")
    if case is not None and case.assigned_to is not None and case.assigned_to.team_id:
        own = supervisors.filter(team_id=case.assigned_to.team_id).first()
        if own:
            return own
    return supervisors.first()


def _last_response_at() -> Subquery:
    responses = ContactAttempt.objects.filter(borrower_id=OuterRef("borrower_id")).filter(
        Q(direction=Direction.INBOUND) | Q(outcome__in=CONVERSATION_OUTCOMES)
    )
    return Subquery(responses.order_by("-at").values("at")[:1])


def _last_call_task_closed_at() -> Subquery:
    closed = Task.objects.filter(case_id=OuterRef("pk"), kind=TaskKind.CALL, closed_at__isnull=False)
    return Subquery(closed.order_by("-closed_at").values("closed_at")[:1])


def cases_escalate_unanswered(*, now: dt.datetime | None = None, threshold: int | None = None) -> list[int]:
    """Cases with `threshold` automated reminders sent since the borrower last answered get an open
    call task in their collector's queue (assigning the case first if nobody has it)."""
    now = now or timezone.now()
    threshold = threshold or settings.REMINDER_ESCALATE_AFTER
    sent_since = (
        ReminderJob.objects.filter(
            case_id=OuterRef("pk"),
            status=JobStatus.SENT,
            step__channel__in=list(MESSAGE_CHANNELS),
            finished_at__gt=OuterRef("since"),
        )
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    open_call_task = Task.objects.filter(case_id=OuterRef("pk"), kind=TaskKind.CALL, status=TaskStatus.OPEN)
    due = (
        Case.objects.open()
        .exclude(frozen_q(now, timezone.localdate(now)))
        .exclude(Exists(open_call_task))
        # The case's own jobs all follow its opening, so with no answer ever every sent one counts. A
        # call task closed (done or cancelled) starts the count again: reminders sent since then escalate anew.
        .annotate(
            since=Greatest(
                Coalesce(_last_response_at(), Value(EPOCH, output_field=DateTimeField())),
                Coalesce(_last_call_task_closed_at(), Value(EPOCH, output_field=DateTimeField())),
            )
        )
        .annotate(unanswered=Coalesce(Subquery(sent_since), 0))
        .filter(unanswered__gte=threshold)
    )
    rows = list(due.values_list("id", "unanswered"))
    if not rows:
        return []

    cases_assign(case_ids=[cid for cid, _ in rows], include_all_open=True, now=now)
    created = []
    for case in Case.objects.filter(pk__in=[cid for cid, _ in rows]):
        count = dict(rows)[case.pk]
        try:
            with transaction.atomic():
                Task.objects.create(
                    case=case,
                    assigned_to=case.assigned_to,
                    kind=TaskKind.CALL,
                    due_at=now,
                    reason=f"{count} automated reminders unanswered",
                )
        except IntegrityError:  # another run created it meanwhile: one open call task per case
            continue
        if case.next_action_at is None or case.next_action_at > now:
            Case.objects.filter(pk=case.pk).update(next_action_at=now)
        created.append(case.pk)
    return created


def borrowers_flag_lost_contact(*, borrower_ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
    """Flag borrowers whose every phone is invalid, or who refused repeatedly, and alert a supervisor."""
    now = now or timezone.now()
    refusals = (
        ContactAttempt.objects.filter(
            borrower_id=OuterRef("pk"), outcome="refused", at__gte=now - dt.timedelta(days=REFUSAL_WINDOW_DAYS)
        )
        .order_by()
        .values("borrower_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    phones = Phone.objects.filter(borrower_id=OuterRef("pk"))
    candidates = Borrower.objects.filter(lost_contact=False)
    if borrower_ids is not None:
        candidates = candidates.filter(pk__in=borrower_ids)
    candidates = candidates.annotate(refusals=Coalesce(Subquery(refusals), 0)).filter(
        Q(Exists(phones), ~Exists(phones.filter(invalid=False))) | Q(refusals__gte=settings.LOST_CONTACT_REFUSALS)
    )
    flagged = []
    for borrower in candidates:
        reason = "refusals" if borrower.refusals >= settings.LOST_CONTACT_REFUSALS else "all_phones_invalid"
        with transaction.atomic():
            # save() keeps the borrower's history trail (who/when the flag was set).
            borrower.lost_contact = True
            borrower.save(update_fields=["lost_contact", "updated_at"])
            case = Case.objects.open().filter(borrower=borrower).select_related("assigned_to").first()
            if not Alert.objects.filter(
                borrower=borrower, kind=AlertKind.LOST_CONTACT, acknowledged_at__isnull=True
            ).exists():
                Alert.objects.create(
                    kind=AlertKind.LOST_CONTACT,
                    borrower=borrower,
                    case=case,
                    supervisor=case_supervisor(case),
                    message=(
                        "Every phone number is invalid"
                        if reason == "all_phones_invalid"
                        else f"{borrower.refusals} refusals in {REFUSAL_WINDOW_DAYS} days"
                    ),
                    data={"reason": reason},
                )
        flagged.append(borrower.pk)
    return flagged


def cases_restage_after_broken_promise(*, since: dt.datetime, now: dt.datetime | None = None) -> list[int]:
    """A broken promise ends the pause: plan the case's current strategy step again."""

    case_ids = list(
        Promise.objects.filter(status=PromiseStatus.BROKEN, resolved_at__gte=since, case__status="open")
        .values_list("case_id", flat=True)
        .distinct()
    )
    if case_ids:
        reminders_plan(case_ids=case_ids)
    return case_ids


def escalation_run(*, now: dt.datetime | None = None) -> EscalationResult:
    """The beat job: every rule above, then assignment of new and escalated cases."""

    now = now or timezone.now()
    result = EscalationResult()
    result.restaged = cases_restage_after_broken_promise(since=now - dt.timedelta(days=1), now=now)
    result.call_tasks = cases_escalate_unanswered(now=now)
    result.lost_contact = borrowers_flag_lost_contact(now=now)
    result.assigned = len(cases_assign(now=now).assigned)
    return result
