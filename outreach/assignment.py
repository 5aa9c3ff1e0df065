"""Putting cases in collectors' queues: by team and workload, within each collector's daily capacity;
borrowers with a vulnerability go to the specialist queue. A collector without a CollectorProfile takes
the default workload (the profile's defaults), never silently none; the admin warns about them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Role, User
from cases.events import case_event_record
from cases.models import Case, CaseEvent

from .models import CollectorProfile, Task, TaskStatus


@dataclass
class AssignResult:
    assigned: dict[int, int] = field(default_factory=dict)  # case id -> user id
    unassigned: list[int] = field(default_factory=list)  # no collector with capacity left


def collectors_without_profile(team_id: int | None = None) -> list[User]:
    """Active collectors (not an agency's) who have no CollectorProfile: they take the default workload."""
    users = User.objects.filter(
        is_active=True, is_superuser=False, role=Role.COLLECTOR, agency__isnull=True, collector_profile__isnull=True
    )
    if team_id is not None:
        users = users.filter(team_id=team_id)
    return list(users.order_by("id"))


def _default_profiles(users: list[User]) -> list[CollectorProfile]:
    """Unsaved profiles with the model's defaults (capacity, not a specialist, taking cases)."""
    return [CollectorProfile(user=user) for user in users]


def _start_of_today(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(timezone.localdate(now), dt.time.min, tzinfo=timezone.get_current_timezone())


def cases_assign(
    *,
    case_ids: list[int] | None = None,
    team_id: int | None = None,
    include_all_open: bool = False,
    now: dt.datetime | None = None,
) -> AssignResult:
    """Assign unassigned open cases (new ones past ASSIGN_MIN_DPD, and escalated ones with an open
    task) to the least-loaded collector with capacity left today. Highest priority first."""
    from django.conf import settings

    now = now or timezone.now()
    result = AssignResult()
    with transaction.atomic():
        # Locking the profiles serialises concurrent assignment runs, so capacity is never overrun.
        profiles_qs = (
            CollectorProfile.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(active=True, user__is_active=True, user__role=Role.COLLECTOR)
        )
        if team_id is not None:
            profiles_qs = profiles_qs.filter(user__team_id=team_id)
        profiles = list(profiles_qs.order_by("user_id"))
        # A collector nobody gave a profile still works: the default workload. Their user rows are locked
        # as the profiles are, so that concurrent runs count the same capacity.
        bare = list(
            User.objects.select_for_update(of=("self",)).filter(
                pk__in=[u.pk for u in collectors_without_profile(team_id)]
            )
        )
        profiles = sorted(profiles + _default_profiles(bare), key=lambda p: p.user_id)
        candidates = Case.objects.open().filter(assigned_to__isnull=True, agency__isnull=True)
        if case_ids is not None:
            candidates = candidates.filter(pk__in=case_ids)
        if not include_all_open:
            escalated = Task.objects.filter(case_id=OuterRef("pk"), status=TaskStatus.OPEN)
            candidates = candidates.filter(Q(dpd__gte=settings.ASSIGN_MIN_DPD) | Q(Exists(escalated)))
        cases = list(
            candidates.select_for_update(skip_locked=True, of=("self",))
            .select_related("borrower")
            .order_by("-priority", "opened_at", "id")
        )
        if not cases:
            return result
        if not profiles:
            result.unassigned = [c.pk for c in cases]
            return result
        user_ids = [p.user_id for p in profiles]
        workload = Counter(
            dict(
                Case.objects.open()
                .filter(assigned_to_id__in=user_ids)
                .values("assigned_to_id")
                .annotate(n=Count("id"))
                .values_list("assigned_to_id", "n")
            )
        )
        today_events = CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED, at__gte=_start_of_today(now))
        assigned_today = Counter(
            data.get("user_id") for data in today_events.values_list("data", flat=True) if isinstance(data, dict)
        )
        today = timezone.localdate(now)
        for case in cases:
            vulnerable = bool(case.borrower.effective_vulnerabilities(today))
            pool = [p for p in profiles if p.specialist == vulnerable and assigned_today[p.user_id] < p.daily_capacity]
            if not pool:
                result.unassigned.append(case.pk)
                continue
            chosen = min(pool, key=lambda p: (workload[p.user_id], assigned_today[p.user_id], p.user_id))
            case.assigned_to = chosen.user
            case.save(update_fields=["assigned_to", "updated_at"])
            case_event_record(
                case_id=case.pk,
                kind=CaseEvent.Kind.ASSIGNED,
                new=chosen.user.username,
                reason="specialist queue (vulnerable borrower)" if vulnerable else "workload",
                at=now,
                data={"user_id": chosen.user_id, "specialist": vulnerable},
            )
            Task.objects.filter(case=case, status=TaskStatus.OPEN, assigned_to__isnull=True).update(
                assigned_to=chosen.user
            )
            workload[chosen.user_id] += 1
            assigned_today[chosen.user_id] += 1
            result.assigned[case.pk] = chosen.user_id
    return result
