"""Reads behind the collector's workspace: the work queue, the compliance panel, the case timeline.

What the gate would say is `compliance.preview`'s answer (the gate's own rules, nothing written); this
module lays it out per contact point and queue row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from borrowers.masking import mask_email, mask_phone
from borrowers.models import Borrower, Channel, Hold, HoldKind, OptOut
from borrowers.zones import borrower_local_time
from cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    LawyerLetter,
    LegalProceeding,
    LegalStage,
    Payment,
    RiskSegment,
    Stage,
)
from compliance.models import Decision
from compliance.preview import BorrowerHistory, Verdict, callable_now, calls_awake, load_histories, preview
from contacts.models import ContactAttempt, Outcome
from outreach.contact_times import good_hour_now_q
from outreach.models import Task, TaskKind
from portal.selectors import portal_note
from repayment_plans.models import Promise, PromiseStatus

# Holds that stop a call whatever the loan, the number or the hour (the queue's cheap "callable" hint).
BLOCKING_HOLD_KINDS = (
    HoldKind.CEASE,
    HoldKind.ATTORNEY,
    HoldKind.BANKRUPTCY,
    HoldKind.DECEASED,
    HoldKind.BREATHING_SPACE,
    HoldKind.MENTAL_HEALTH_CRISIS,
)
RISK_RANK = {RiskSegment.HIGH: 3, RiskSegment.MEDIUM: 2, RiskSegment.LOW: 1}
QUEUE_PAGE_SIZE = 25


# --- compliance panel -----------------------------------------------------------------------------------


def contact_points(borrower: Borrower, *, full_pii: bool) -> list[tuple[str, str, str, str]]:
    """(channel, form value, value for the gate, label shown) of every way to reach the borrower.

    Agency collectors see masked numbers; the form names a contact point by id, never by its value, so
    nobody needs to see a number to dial it through the system.
    """
    points: list[tuple[str, str, str, str]] = []
    phones = [p for p in borrower.phones.all() if not p.invalid]
    emails = [e for e in borrower.emails.all() if not e.invalid]
    for channel in (Channel.CALL, Channel.SMS):
        for p in phones:
            label = p.number if full_pii else mask_phone(p.number)
            points.append((channel, f"phone:{p.pk}", p.number, f"{label} ({p.get_kind_display()})"))
    for e in emails:
        label = e.address if full_pii else mask_email(e.address)
        points.append((Channel.EMAIL, f"email:{e.pk}", e.address, f"{label} ({e.get_kind_display()})"))
    if borrower.address.strip():
        for channel in (Channel.LETTER, Channel.VISIT):
            points.append((channel, "address", borrower.address.strip(), str(Channel(channel).label)))
    return points


def compliance_panel(
    case: Case, history: BorrowerHistory, *, at: dt.datetime, full_pii: bool
) -> dict[str, list[Verdict]]:
    """Channel → one verdict per contact point (a visit is previewed with two collectors, as offered)."""
    panel: dict[str, list[Verdict]] = {c: [] for c in Channel.values}
    for channel, point, value, label in contact_points(history.borrower, full_pii=full_pii):
        verdict = preview(
            history,
            channel=channel,
            to=value,
            at=at,
            loan_id=case.loan_id,
            case_id=case.pk,
            collectors=2 if channel == Channel.VISIT else None,
        )
        verdict.label, verdict.point = label, point
        panel[channel].append(verdict)
    return panel


# --- the work queue -------------------------------------------------------------------------------------


def queue_owner_choices(user: User) -> QuerySet[User]:
    """Whose queue a supervisor (or compliance, admin) may open: the collectors whose cases they see."""
    collectors = User.objects.filter(role__in=(Role.COLLECTOR, Role.AGENCY_COLLECTOR), is_active=True)
    if user.sees_everything:
        return collectors.order_by("username")
    if user.role == Role.SUPERVISOR and user.team_id:
        return collectors.filter(team_id=user.team_id).order_by("username")
    return collectors.none()


def _awake_combos(pairs: list[tuple[str, str, str]], at: dt.datetime) -> Q | None:
    """Q of the (region, time zone) pairs whose borrowers are outside quiet hours for calls right now, so
    that the filter and the ordering run in SQL over the whole queue instead of case by case in Python."""
    awake: Q | None = None
    for region, zone_name in calls_awake(pairs, at=at):
        pair = Q(borrower__region=region, borrower__timezone=zone_name)
        awake = pair if awake is None else awake | pair
    return awake


def queue_base(user: User, *, owner: User | None = None, stage: str = "", segment: str = "") -> QuerySet[Case]:
    """The open cases of a queue, filtered, unordered: what the page count needs (the ordering's
    annotations join every case's borrower, which counting thousands of cases does not need)."""
    cases = Case.objects.visible_to(user).filter(status=CaseStatus.OPEN)
    if user.role == Role.SUPERVISOR:
        # A supervisor sees agency placements (to manage and recall them); the agency works them.
        cases = cases.filter(agency__isnull=True)
    if owner is not None:
        cases = cases.filter(assigned_to=owner)
    if stage in Stage.values:
        cases = cases.filter(stage=stage)
    if segment in RiskSegment.values:
        cases = cases.filter(risk_segment=segment)
    return cases


def queue_cases(
    user: User,
    *,
    at: dt.datetime,
    today: dt.date,
    owner: User | None = None,
    stage: str = "",
    segment: str = "",
    promise_due: bool = False,
    callable_only: bool = False,
) -> QuerySet[Case]:
    """The open cases of a queue in working order: risk, overdue amount, promise due today, callable
    now, next action due. Every column of a row is joined or annotated here (constant queries per page).

    `callable_hint` is the cheap SQL part of "callable now" (awake hours, no blocking hold, no call
    opt-out); the row's indicator comes from the full preview (`callable_now`), and the gate decides.
    """
    cases = queue_base(user, owner=owner, stage=stage, segment=segment)

    promise_today = Promise.objects.filter(case=OuterRef("pk"), due_date=today, status=PromiseStatus.PENDING)
    blocking_hold = Hold.objects.filter(borrower=OuterRef("borrower_id"), kind__in=BLOCKING_HOLD_KINDS).filter(
        Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at)
    )
    call_opt_out = OptOut.objects.filter(borrower=OuterRef("borrower_id"), channel=Channel.CALL, to="")
    # The queue's (region, time zone, jurisdiction) combinations, once: for "awake now" and "good hour now".
    pairs = list(
        cases.values_list("borrower__region", "borrower__timezone", "borrower__platform__default_jurisdiction")
        .order_by()
        .distinct()
    )
    awake = _awake_combos(pairs, at)
    if awake is None:
        hint: Any = Value(False)
    else:
        hint = SqlCase(
            When(awake & ~Exists(blocking_hold) & ~Exists(call_opt_out), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    last = ContactAttempt.objects.filter(borrower=OuterRef("borrower_id")).order_by("-at", "-id")
    # The borrower's good hour is now (outreach.contact_times: their right-party contacts and payments fell
    # in this local hour before): first within "callable now" and within the rest; the gate still decides.
    good_hour = good_hour_now_q({(region, zone) for region, zone, _j in pairs}, at=at)
    cases = cases.annotate(
        # Never a constant (PostgreSQL refuses one in ORDER BY): "id IS NULL" when no zone is at a good hour.
        good_time_now=SqlCase(
            When(good_hour if good_hour is not None else Q(pk__isnull=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        risk_rank=SqlCase(
            *[When(risk_segment=k, then=Value(v)) for k, v in RISK_RANK.items()],
            default=Value(0),
            output_field=IntegerField(),
        ),
        promise_due_today=Exists(promise_today),
        callable_hint=ExpressionWrapper(hint, output_field=BooleanField()),
        last_contact_at=Subquery(last.values("at")[:1]),
        last_contact_channel=Subquery(last.values("channel")[:1]),
        last_contact_outcome=Subquery(last.values("outcome")[:1]),
    )
    if promise_due:
        cases = cases.filter(promise_due_today=True)
    if callable_only:
        cases = cases.filter(callable_hint=True)
    # The loan is not joined here: the ordering does not need it, and joining it for every case of a
    # long queue before the sort cost more than the page (queue_rows loads the page's loans).
    return cases.select_related("borrower", "borrower__platform", "assigned_to").order_by(*WORKING_ORDER)


# The working order within "callable now" and within the rest: the borrowers whose good hour it is first.
WORKING_ORDER = (
    "-good_time_now",
    "-risk_rank",
    "-overdue_amount",
    "-promise_due_today",
    F("next_action_at").asc(nulls_last=True),
    "id",
)
# How many cases of a queue the full preview judges per request, in working order, among those the SQL hint
# leaves (awake, no blocking hold, no call opt-out). Beyond it a case counts as not callable now.
CALLABLE_SCAN = 400
# How many cases the full preview reads to say when the first one becomes callable, when none is now.
NEXT_CALLABLE_SCAN = 200


@dataclass
class CallableNow:
    """What the gate's preview says of a queue right now: the callable cases in working order (ids), each
    one's verdict, and, when none is callable, when the first one becomes so."""

    ids: list[int]
    verdicts: dict[int, Verdict]
    next_at: dt.datetime | None = None
    next_case_id: int | None = None


def _case_verdicts(rows: list[tuple[int, int, int]], *, at: dt.datetime) -> dict[int, Verdict]:
    """(case id, borrower id, loan id) → the preview's "callable now" verdict of each case (a constant
    number of queries: borrowers, their phones, e-mails and opt-outs, then the gate's histories)."""
    if not rows:
        return {}
    borrowers = list(
        Borrower.objects.filter(pk__in={b for _c, b, _l in rows})
        .select_related("platform")
        .prefetch_related("phones", "emails", "opt_outs")
    )
    histories = load_histories(borrowers, at=at)
    return {case_id: callable_now(histories[b], at=at, loan_id=loan_id) for case_id, b, loan_id in rows}


def queue_callable(cases: QuerySet[Case], *, at: dt.datetime, next_when_none: bool = False) -> CallableNow:
    """The cases of a queue (queue_cases) the gate would let the collector call now, in working order:
    the full preview (compliance.preview.callable_now: cooldown after a conversation, an opted-out
    number, caps, holds, quiet hours), run over the cases the cheap SQL hint leaves."""
    # queue_cases annotates callable_hint (the stubs see a plain Case queryset).
    hinted = cases.filter(**{"callable_hint": True}).values_list("pk", "borrower_id", "loan_id")[:CALLABLE_SCAN]
    verdicts = _case_verdicts(list(hinted), at=at)
    result = CallableNow(ids=[pk for pk, v in verdicts.items() if v.allowed], verdicts=verdicts)
    if not result.ids and next_when_none:
        first = _case_verdicts(list(cases.values_list("pk", "borrower_id", "loan_id")[:NEXT_CALLABLE_SCAN]), at=at)
        timed = [(v.next_allowed_at, pk) for pk, v in first.items() if v.next_allowed_at is not None]
        if timed:
            result.next_at, result.next_case_id = min(timed)
    return result


def queue_in_order(cases: QuerySet[Case], callable_ids: list[int], *, callable_only: bool = False) -> QuerySet[Case]:
    """The queue with the callable cases first, each part in working order (or the callable ones alone)."""
    if callable_only:
        return cases.filter(pk__in=callable_ids)
    if not callable_ids:
        # No constant in ORDER BY: PostgreSQL refuses one when the annotation is not selected (ids alone).
        return cases
    rank = SqlCase(When(pk__in=callable_ids, then=Value(1)), default=Value(0), output_field=IntegerField())
    return cases.annotate(callable_rank=rank).order_by("-callable_rank", *WORKING_ORDER)


def block_tag(verdict: Verdict) -> str:
    """A short tag for a blocked "callable now" verdict (the row shows it; the full reasons are its title)."""
    codes = verdict.codes
    if verdict.label == "no_phone":
        return _("No valid phone")
    if not codes:
        return _("Not now")
    code = codes[0]
    for prefix, tag in BLOCK_TAGS:
        if code.startswith(prefix):
            return str(tag)
    return _("Not now")


BLOCK_TAGS = (
    ("quiet_hours", gettext_lazy("Quiet hours")),
    ("unknown_timezone", gettext_lazy("Quiet hours")),
    ("conversation_cooldown", gettext_lazy("Cooldown")),
    ("opted_out", gettext_lazy("Opted out")),
    ("hold_", gettext_lazy("On hold")),
    ("daily_", gettext_lazy("Daily limit")),
    ("call_frequency", gettext_lazy("Call limit")),
    ("state_frequency", gettext_lazy("Call limit")),
    ("vulnerable", gettext_lazy("Vulnerable")),
    ("no_autodial", gettext_lazy("No consent")),
)


def queue_rows(cases: Iterable[Case], *, at: dt.datetime) -> list[Case]:
    """Attach the borrower's local time and the full "callable now" preview to a page of cases."""
    from django.db.models import prefetch_related_objects

    rows = list(cases)
    prefetch_related_objects(rows, "loan")
    borrowers = [c.borrower for c in rows]
    prefetch_related_objects(borrowers, "phones", "emails", "opt_outs")
    histories = load_histories(list({b.pk: b for b in borrowers}.values()), at=at)
    for case in rows:
        # The queue's annotations (last_contact_*) and the attributes set here for the page: dynamic.
        row: Any = case
        row.borrower_local_time = borrower_local_time(case.borrower, at)
        verdict = callable_now(histories[case.borrower_id], at=at, loan_id=case.loan_id)
        row.call_verdict = verdict
        row.block_tag = "" if verdict.allowed else block_tag(verdict)
        if row.last_contact_at:
            outcome = Outcome(row.last_contact_outcome).label if row.last_contact_outcome else _("pending")
            row.last_contact_label = f"{Channel(row.last_contact_channel).label} · {outcome}"
    return rows


# --- the case timeline ----------------------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # contact, payment, promise, plan, hold, opt_out, event, block, override
    title: str
    detail: str = ""
    actor: str = ""
    obj: Any = None


# The reasons outreach.assignment writes on an assignment event, as codes, in the reader's language.
SCHEDULER_REASONS = {
    "workload": gettext_lazy("assigned by workload"),
    "specialist queue (vulnerable borrower)": gettext_lazy("specialist queue (vulnerable borrower)"),
}


def _actor_name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


LEGAL_EVENT_LABELS: dict[str, dict[str, Any]] = {
    CaseEvent.Kind.LEGAL_STAGE_CHANGED: {k: v for k, v in LegalStage.choices if k},
    CaseEvent.Kind.LEGAL_OUTCOME: {
        **{k: v for k, v in LegalStage.choices if k},
        **{k: v for k, v in LegalProceeding.Outcome.choices if k},
    },
    CaseEvent.Kind.LAWYER_LETTER: dict(LawyerLetter.Status.choices),
}


def case_timeline(case: Case, borrower: Borrower, *, limit: int = 100) -> list[TimelineItem]:
    """Contacts, payments, promises, plans, holds, opt-outs, stage changes and blocked decisions, newest
    first, in one list. One query per source, however long the history (each capped at `limit`).

    `borrower` must come with `holds` and `opt_outs` prefetched (the case page loads them anyway).
    """
    stage_labels = dict(Stage.choices)
    items: list[TimelineItem] = []
    # A payment's event is not listed: the payment itself is, with its amount (it was listed twice).
    events = case.events.exclude(kind=CaseEvent.Kind.PAYMENT).select_related("actor")
    for event in events.order_by("-at", "-id")[:limit]:
        old, new = event.old_value, event.new_value
        if event.kind in (CaseEvent.Kind.STAGE_CHANGED, CaseEvent.Kind.OPENED):
            old, new = str(stage_labels.get(old, old)), str(stage_labels.get(new, new))
        elif event.kind in LEGAL_EVENT_LABELS:
            # The legal path's codes (stages, outcomes, a letter's status) as the reader's words.
            labels = LEGAL_EVENT_LABELS[event.kind]
            old, new = str(labels.get(old, old)), str(labels.get(new, new))
        change = f"{old} → {new}" if old else new
        # A portal action is rendered from its code in the reader's language (stored text: the borrower's);
        # the scheduler's own reasons (outreach.assignment) too; a person's reason is shown as written.
        reason = portal_note(event.data) or str(SCHEDULER_REASONS.get(event.reason, event.reason))
        items.append(
            TimelineItem(
                event.at,
                "event",
                str(event.get_kind_display()),
                " · ".join(x for x in (change, reason) if x),
                _actor_name(event.actor),
                event,
            )
        )
    contacts = (
        ContactAttempt.objects.filter(Q(case=case) | Q(case__isnull=True, loan_id=case.loan_id))
        .select_related("actor_user", "decision")
        .order_by("-at", "-id")[:limit]
    )
    for c in contacts:
        outcome = c.get_outcome_display() if c.outcome else _("pending")
        title = f"{c.get_channel_display()} · {c.get_direction_display()} · {outcome}"
        detail = " · ".join(
            x
            for x in (
                _("%(s)s s") % {"s": c.duration_s} if c.duration_s is not None else "",
                c.notes,
                _("overridden by a supervisor") if c.decision is not None and c.decision.override_of_id else "",
            )
            if x
        )
        items.append(TimelineItem(c.at, "contact", title, detail, _actor_name(c.actor_user), c))
    for p in Payment.objects.filter(loan_id=case.loan_id).order_by("-paid_at")[:limit]:
        items.append(TimelineItem(p.paid_at, "payment", _("Payment received"), f"{p.amount:,.2f} {p.currency}", "", p))
    for promise in case.promises.select_related("created_by").order_by("-created_at")[:limit]:
        items.append(
            TimelineItem(
                promise.created_at,
                "promise",
                _("Promise to pay") + f" · {promise.get_status_display()}",
                _("%(amount)s %(currency)s by %(date)s")
                % {
                    "amount": f"{promise.amount:,.2f}",
                    "currency": case.loan.currency,
                    "date": promise.due_date.isoformat(),
                },
                _actor_name(promise.created_by),
                promise,
            )
        )
    for plan in case.plans.select_related("proposed_by").order_by("-created_at")[:limit]:
        items.append(
            TimelineItem(
                plan.created_at,
                "plan",
                _("Repayment plan") + f" · {plan.get_kind_display()} · {plan.get_status_display()}",
                f"{plan.total_amount:,.2f} {plan.currency}",
                _actor_name(plan.proposed_by),
                plan,
            )
        )
    # A callback the borrower asked for, when it was set (moved: the same task, due at its new time).
    callbacks = (
        Task.objects.filter(case=case, kind=TaskKind.CALLBACK).select_related("assigned_to").order_by("-created_at")
    )
    for task in callbacks[:limit]:
        items.append(
            TimelineItem(
                task.created_at,
                "callback",
                _("Callback") + f" · {task.get_status_display()}",
                _("Call back at %(at)s (your time)")
                % {"at": date_format(timezone.localtime(task.due_at), "SHORT_DATETIME_FORMAT")},
                _actor_name(task.assigned_to),
                task,
            )
        )
    for hold in borrower.holds.all():
        items.append(
            TimelineItem(hold.starts_at, "hold", _("Hold added") + f" · {hold.get_kind_display()}", hold.note, "", hold)
        )
        if hold.ends_at and hold.ends_at <= timezone.now():
            items.append(
                TimelineItem(hold.ends_at, "hold", _("Hold lifted") + f" · {hold.get_kind_display()}", "", "", hold)
            )
    for opt in borrower.opt_outs.all():
        items.append(
            TimelineItem(opt.created_at, "opt_out", _("Opt-out") + f" · {opt.get_channel_display()}", "", "", opt)
        )
    decisions = (
        Decision.objects.filter(case=case, dry_run=False)
        .filter(Q(allowed=False) | Q(override_of__isnull=False))
        .select_related("actor_user")
        .order_by("-evaluated_at", "-id")[:limit]
    )
    chinese = (translation.get_language() or "en").startswith("zh")
    for d in decisions:
        if d.override_of_id:
            items.append(
                TimelineItem(
                    d.evaluated_at, "override", _("Block overridden"), d.override_reason, _actor_name(d.actor_user), d
                )
            )
            continue
        reasons = "; ".join(r.get("message_zh" if chinese else "message_en") or r.get("code", "") for r in d.reasons)
        items.append(
            TimelineItem(
                d.evaluated_at,
                "block",
                _("Blocked by compliance") + f" · {d.get_channel_display()}",
                reasons,
                _actor_name(d.actor_user),
                d,
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]
