"""Who may open the supervision pages, and which cases they supervise."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from accounts.models import Role
from cases.models import Case

View = Callable[..., HttpResponseBase]


def can_supervise(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_supervisor)


def can_audit(user: Any) -> bool:
    """Compliance officers read the audit trail and the evidence chain, but change nothing."""
    return bool(user.is_authenticated and (user.is_supervisor or user.role == Role.COMPLIANCE))


def _require(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


supervisor_required = _require(can_supervise)
auditor_required = _require(can_audit)


def supervised_cases(user: Any) -> QuerySet[Case]:
    """The cases a supervisor answers for: what `visible_to` shows them, plus every case placed with an
    agency. `visible_to` keeps a team supervisor to the team's cases and the unassigned pool, but
    agency placements are the supervisors' to manage, audit and recall, whichever team placed them."""
    visible = Case.objects.visible_to(user)
    if user.sees_everything or not can_supervise(user):
        return visible
    return Case.objects.filter(Q(pk__in=visible.values("pk")) | Q(agency__isnull=False))
