"""Write paths of supervision: agency placement and recall, assignment, quality sampling and review."""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import secrets
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.models import Agency, Role, User
from accounts.roles import Perm, can
from cases.events import case_event_build, case_event_record, case_events_record
from cases.models import Case, CaseEvent, CaseStatus
from outreach.models import Task, TaskKind, TaskStatus

from .models import AgencyContract, QualityReview, QualitySample, SampleReason, reviewable_contacts


def _require_supervisor(user: User) -> None:
    if not can(user, Perm.SUPERVISE):
        raise PermissionDenied(_("Only a supervisor may do this."))


# --- agencies --------------------------------------------------------------------------------------------


def agency_check_placeable(*, agency: Agency, today: dt.date | None = None) -> AgencyContract:
    """The agency's contract, if new cases may be placed with it today; else ValidationError."""
    today = today or timezone.localdate()
    if not agency.is_active:
        raise ValidationError({"agency": [_("%(agency)s is not active.") % {"agency": agency.name}]})
    contract = AgencyContract.objects.filter(agency=agency).first()
    if contract is None:
        raise ValidationError(
            {"agency": [_("%(agency)s has no contract on file: record its terms first.") % {"agency": agency.name}]}
        )
    if contract.evaluation_due_on < today:
        raise ValidationError(
            {
                "agency": [
                    _("%(agency)s's yearly evaluation was due on %(date)s: no new placements until it is done.")
                    % {"agency": agency.name, "date": contract.evaluation_due_on.isoformat()}
                ]
            }
        )
    return contract


def _place_locked(*, case: Case, agency: Agency, user: User, reason: str, now: dt.datetime) -> CaseEvent:
    if case.status != CaseStatus.OPEN:
        raise ValidationError({"case": [_("Case #%(id)s is closed.") % {"id": case.pk}]})
    if case.agency_id is not None:
        raise ValidationError(
            {"case": [_("Case #%(id)s is already placed with an agency: recall it first.") % {"id": case.pk}]}
        )
    previous = case.assigned_to
    case.agency = agency
    # The agency distributes the case among its own collectors; our collector lets go of it. The team whose
    # case it was (its collector's, else the placing supervisor's) keeps sight of it (accounts.roles).
    case.assigned_to = None
    case.placing_team_id = previous.team_id if previous is not None and previous.team_id else user.team_id
    case._history_user = user  # type: ignore[attr-defined]
    case.save(update_fields=["agency", "assigned_to", "placing_team", "updated_at"])
    return case_event_build(
        case_id=case.pk,
        kind=CaseEvent.Kind.PLACED,
        old="",
        new=agency.name,
        reason=reason,
        actor=user,
        at=now,
        data={"action": "place", "agency_id": agency.pk, "previous_assignee": previous.username if previous else ""},
    )


@transaction.atomic
def case_place(*, case: Case, agency: Agency, user: User, reason: str) -> Case:
    """Place one open case with an agency (refused when the agency's evaluation is overdue)."""
    _require_supervisor(user)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason.")]})
    agency_check_placeable(agency=agency)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _place_locked(case=locked, agency=agency, user=user, reason=reason, now=timezone.now()).save()
    return locked


@transaction.atomic
def cases_place_by_stage(*, stage: str, agency: Agency, max_count: int, user: User, reason: str) -> list[int]:
    """Place up to `max_count` of the supervisor's open, unplaced cases of one stage, highest priority first."""
    _require_supervisor(user)
    agency_check_placeable(agency=agency)
    now = timezone.now()
    candidates = (
        Case.objects.visible_to(user)
        .filter(status=CaseStatus.OPEN, stage=stage, agency__isnull=True)
        .order_by("-priority", "id")
        .values_list("pk", flat=True)[:max_count]
    )
    cases = list(
        Case.objects.select_for_update(of=("self",)).select_related("assigned_to").filter(pk__in=list(candidates))
    )
    events = [_place_locked(case=c, agency=agency, user=user, reason=reason, now=now) for c in cases]
    case_events_record(events)
    return [c.pk for c in cases]


@transaction.atomic
def case_recall(*, case: Case, user: User, reason: str) -> Case:
    """Take a case back from its agency into the unassigned pool."""
    _require_supervisor(user)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason.")]})
    locked = Case.objects.select_for_update(of=("self",)).select_related("agency").get(pk=case.pk)
    if locked.agency is None:
        raise ValidationError({"case": [_("Case #%(id)s is not placed with an agency.") % {"id": case.pk}]})
    agency = locked.agency
    locked.agency = None
    locked.assigned_to = None
    locked._history_user = user  # type: ignore[attr-defined]
    locked.save(update_fields=["agency", "assigned_to", "updated_at"])
    case_event_record(
        case_id=locked.pk,
        kind=CaseEvent.Kind.RECALLED,
        old=agency.name,
        new="",
        reason=reason,
        actor=user,
        at=timezone.now(),
        data={"action": "recall", "agency_id": agency.pk},
    )
    return locked


# --- assignment --------------------------------------------------------------------------------------------


def team_collectors(user: User) -> QuerySet[User]:
    """The collectors a supervisor hands work to: their team's (everyone's for a supervisor without one)."""
    qs = User.objects.filter(role=Role.COLLECTOR, is_active=True)
    if user.team_id and not user.sees_everything:
        qs = qs.filter(team_id=user.team_id)
    return qs.order_by("username")


@transaction.atomic
def case_reassign(*, case: Case, to_user: User, user: User, reason: str = "") -> Case:
    _require_supervisor(user)
    if not team_collectors(user).filter(pk=to_user.pk).exists():
        raise ValidationError({"to_user": [_("%(user)s is not a collector of your team.") % {"user": to_user}]})
    locked = Case.objects.select_for_update(of=("self",)).select_related("assigned_to").get(pk=case.pk)
    if locked.status != CaseStatus.OPEN:
        raise ValidationError({"case": [_("Case #%(id)s is closed.") % {"id": case.pk}]})
    if locked.agency_id is not None:
        raise ValidationError({"case": [_("Case #%(id)s is with an agency: recall it first.") % {"id": case.pk}]})
    if locked.assigned_to_id == to_user.pk:
        return locked
    previous = locked.assigned_to
    locked.assigned_to = to_user
    locked._history_user = user  # type: ignore[attr-defined]
    locked.save(update_fields=["assigned_to", "updated_at"])
    case_event_record(
        case_id=locked.pk,
        kind=CaseEvent.Kind.ASSIGNED,
        old=previous.username if previous else "",
        new=to_user.username,
        reason=reason,
        actor=user,
        at=timezone.now(),
    )
    return locked


@transaction.atomic
def task_reassign(*, task: Task, to_user: User, user: User, reason: str = "") -> Task:
    """Hand an open collector task to another collector of the supervisor's team. The task is about its
    case, so the case goes with it (case_reassign) when someone else has it: a collector sees only the
    cases assigned to them. A placement review is the supervisors' own and is not handed to a collector."""
    _require_supervisor(user)
    if not team_collectors(user).filter(pk=to_user.pk).exists():
        raise ValidationError({"to_user": [_("%(user)s is not a collector of your team.") % {"user": to_user}]})
    locked = Task.objects.select_for_update(of=("self",)).select_related("case", "assigned_to").get(pk=task.pk)
    if locked.status != TaskStatus.OPEN:
        raise ValidationError({"task": [_("This task is already closed.")]})
    if locked.kind == TaskKind.PLACEMENT:
        raise ValidationError({"task": [_("A placement review stays with a supervisor.")]})
    if locked.assigned_to_id == to_user.pk:
        return locked
    if locked.case.assigned_to_id != to_user.pk:
        case_reassign(case=locked.case, to_user=to_user, user=user, reason=reason or _("with its task"))
    previous = locked.assigned_to
    locked.assigned_to = to_user
    locked._history_user = user  # type: ignore[attr-defined]  # simple-history's who
    locked.save(update_fields=["assigned_to"])
    case_event_record(
        case_id=locked.case_id,
        kind=CaseEvent.Kind.TASK_REASSIGNED,
        old=previous.username if previous else "",
        new=to_user.username,
        reason=reason,
        actor=user,
        at=timezone.now(),
        data={"task_id": locked.pk},
    )
    return locked


@transaction.atomic
def collector_rebalance(*, collector: User, user: User, reason: str = "") -> dict[str, int]:
    """Spread a collector's open cases over the rest of the team, each to whoever has the fewest.

    Highest priority first, so the most urgent cases land on the least loaded colleagues. Returns the
    number of cases each colleague received.
    """
    _require_supervisor(user)
    colleagues = list(team_collectors(user).exclude(pk=collector.pk))
    if not team_collectors(user).filter(pk=collector.pk).exists():
        raise ValidationError({"collector": [_("%(user)s is not a collector of your team.") % {"user": collector}]})
    if not colleagues:
        raise ValidationError({"collector": [_("Nobody else in the team can take the cases.")]})
    loads = dict(
        Case.objects.filter(status=CaseStatus.OPEN, assigned_to__in=colleagues)
        .values_list("assigned_to")
        .annotate(n=Count("id"))
        .values_list("assigned_to", "n")
    )
    heap = [(loads.get(c.pk, 0), c.username, c) for c in colleagues]
    heapq.heapify(heap)
    cases = list(
        Case.objects.select_for_update()
        .filter(status=CaseStatus.OPEN, assigned_to=collector, agency__isnull=True)
        .order_by("-priority", "id")
    )
    now = timezone.now()
    events: list[CaseEvent] = []
    received: dict[str, int] = defaultdict(int)
    for case in cases:
        load, name, target = heapq.heappop(heap)
        case.assigned_to = target
        case._history_user = user  # type: ignore[attr-defined]
        events.append(
            case_event_build(
                case_id=case.pk,
                kind=CaseEvent.Kind.ASSIGNED,
                old=collector.username,
                new=target.username,
                reason=reason or _("Rebalanced"),
                actor=user,
                at=now,
            )
        )
        received[name] += 1
        heapq.heappush(heap, (load + 1, name, target))
    bulk_update_with_history(cases, Case, ["assigned_to", "updated_at"], default_user=user)
    case_events_record(events)
    return dict(received)


# --- quality review ----------------------------------------------------------------------------------------


@dataclass
class SampleResult:
    seed: int
    created: list[QualitySample] = field(default_factory=list)
    by_reason: dict[str, int] = field(default_factory=dict)


def _day_bounds(date_from: dt.date, date_to: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _share(count: int, percent: int) -> int:
    """How many of `count` calls make `percent`%: rounded up, so every collector with calls gets one."""
    return min(count, math.ceil(count * percent / 100)) if percent > 0 else 0


@transaction.atomic
def quality_samples_draw(
    *,
    user: User,
    date_from: dt.date,
    date_to: dt.date,
    share_percent: int,
    seed: int | None = None,
    zone: str = "UTC",
) -> SampleResult:
    """Pick contacts for review: every action let through by an override, and a share of each collector's
    outbound calls. Deterministic for a given seed and data; a contact is never sampled twice."""
    _require_supervisor(user)
    seed = secrets.randbelow(2**31) if seed is None else seed
    start, end = _day_bounds(date_from, date_to, zone)
    in_period = reviewable_contacts(user).filter(at__gte=start, at__lt=end).exclude(quality_sample__isnull=False)
    result = SampleResult(seed=seed)
    picked: list[tuple[int, str]] = []

    overrides = list(in_period.filter(decision__override_of__isnull=False).order_by("id").values_list("id", flat=True))
    picked += [(pk, SampleReason.OVERRIDE) for pk in overrides]

    calls: dict[int, list[int]] = defaultdict(list)
    for pk, actor in (
        in_period.filter(channel="call", direction="outbound", actor_user__isnull=False)
        .exclude(pk__in=overrides)
        .order_by("id")
        .values_list("id", "actor_user_id")
    ):
        calls[actor].append(pk)
    rng = random.Random(seed)
    for actor in sorted(calls):
        ids = calls[actor]
        picked += [
            (pk, SampleReason.COLLECTOR_SHARE) for pk in sorted(rng.sample(ids, _share(len(ids), share_percent)))
        ]

    samples = [QualitySample(contact_id=pk, reason=reason, seed=seed, created_by=user) for pk, reason in picked]
    QualitySample.objects.bulk_create(samples)
    result.created = samples
    for _pk, reason in picked:
        result.by_reason[reason] = result.by_reason.get(reason, 0) + 1
    return result


@transaction.atomic
def quality_review_save(*, sample: QualitySample, reviewer: User, data: dict[str, Any]) -> QualityReview:
    """Record the scorecard of one sampled contact (once; a reviewer never scores their own call)."""
    _require_supervisor(reviewer)
    locked = QualitySample.objects.select_for_update(of=("self",)).select_related("contact").get(pk=sample.pk)
    if QualityReview.objects.filter(sample=locked).exists():
        raise ValidationError({"sample": [_("This contact has already been reviewed.")]})
    if locked.contact.actor_user_id == reviewer.pk:
        raise ValidationError({"sample": [_("You cannot review your own call.")]})
    review = QualityReview(sample=locked, reviewer=reviewer, **data)
    review.score = review.compute_score()
    review.full_clean()
    review.save()
    return review
