"""The role matrix: who may do what, and which rows each principal sees.

**Permissions** name what a page or an action needs, never who has it:

| permission | what it allows |
|---|---|
| `view_cases` | read the case list, the work queue, a case page, a plan and its written agreement |
| `work_case` | act on a case: call, message, letter, visit, record an outcome, take a promise, add a hold or an opt-out, propose or cancel a plan, send an agreement |
| `override_block` | let one blocked action through with a reason |
| `approve_plans` | approve or refuse plans and waivers beyond their proposer's limits |
| `supervise` | the dashboard, assignment, agency placement and recall, QA sampling and review, the webhook delivery log |
| `audit` | read the contact log and its export, decisions and evidence, and verify the evidence chain (read-only: no case changes) |
| `administer` | the admin site, and platform data (borrowers, loans, payments) written through the API by session |
| `operate` | the operations page: the reminder and webhook pipeline's state, the last delinquency refresh, Celery; requeue failed reminders, retry dead webhook events |

**The matrix** (`MATRIX`, role → permissions; a superuser has every permission whatever their role):

| role | view_cases | work_case | override_block | approve_plans | supervise | audit | administer | operate |
|---|---|---|---|---|---|---|---|---|
| collector | ✓ | ✓ | | | | | | |
| agency collector | ✓ | ✓ | | | | | | |
| supervisor | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | | ✓ |
| compliance officer | ✓ | | | | | ✓ | | |
| administrator | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |

Compliance officers read and audit; they never change a case. Every page checks its permission with
`permission_required` (or `PermissionRequiredMixin`): a visitor who is not signed in is sent to sign in,
a signed-in user without the permission gets 403. The platform API checks the same permissions for a
session (`accounts.permissions.IsPlatformOrStaff`).

**Rows.** Each model family has one queryset method, `visible_to(principal)`, that narrows its rows for
any principal: a signed-in user (pages, CSV exports, the API by session), a platform key on the API
(`PlatformPrincipal`: that platform's rows), or nobody (no rows). The rule for users is `case_filter`:

- administrators and compliance officers (and superusers): every case;
- a collector: the cases assigned to them;
- an agency collector: the cases placed with their agency;
- a supervisor with a team: the team's cases, the unassigned pool they distribute, and every case placed
  with an agency (placements are the supervisors' to manage, audit and recall, whichever team placed
  them); a supervisor without a team: every case.

Borrowers, loans, holds, contacts, decisions and plans are visible through the cases they belong to;
QA samples and scorecards through the contacts they rate, and a team supervisor sees only those of their
own team's calls (and of agency collectors' calls).

**A staff session on the API** (the contract lets staff users use the API with their session): it sees
exactly the rows its user sees on the pages (`visible_to(user)`), never every platform's; a read needs
the view's `read_permission` (default `view_cases`), a write its `write_permission` (default
`work_case`; platform data such as borrowers, loans and payments need `administer`, plan decisions
`approve_plans`). A signed-in user who is not staff gets 403, as before.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .authentication import PlatformPrincipal
from .models import Platform, Role

View = Callable[..., HttpResponseBase]


class Perm(enum.StrEnum):
    VIEW_CASES = "view_cases"
    WORK_CASE = "work_case"
    OVERRIDE_BLOCK = "override_block"
    APPROVE_PLANS = "approve_plans"
    SUPERVISE = "supervise"
    AUDIT = "audit"
    ADMINISTER = "administer"
    OPERATE = "operate"


EVERY_PERMISSION = frozenset(Perm)

MATRIX: dict[str, frozenset[Perm]] = {
    Role.COLLECTOR: frozenset({Perm.VIEW_CASES, Perm.WORK_CASE}),
    Role.AGENCY_COLLECTOR: frozenset({Perm.VIEW_CASES, Perm.WORK_CASE}),
    Role.SUPERVISOR: frozenset(
        {
            Perm.VIEW_CASES,
            Perm.WORK_CASE,
            Perm.OVERRIDE_BLOCK,
            Perm.APPROVE_PLANS,
            Perm.SUPERVISE,
            Perm.AUDIT,
            Perm.OPERATE,
        }
    ),
    Role.COMPLIANCE: frozenset({Perm.VIEW_CASES, Perm.AUDIT}),
    Role.ADMIN: EVERY_PERMISSION,
}


def permissions_of(user: Any) -> frozenset[Perm]:
    """What a principal may do: nothing unless it is a signed-in, active user; a superuser may do everything."""
    if user is None or isinstance(user, PlatformPrincipal) or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not getattr(user, "is_active", True):
        return frozenset()
    if user.is_superuser:
        return EVERY_PERMISSION
    return MATRIX.get(user.role, frozenset())


def can(user: Any, perm: Perm) -> bool:
    return perm in permissions_of(user)


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def required_permission(method: str, read: Perm, write: Perm | None) -> Perm:
    """The permission a request needs: `read` to read (GET, HEAD, OPTIONS), `write` (default `read`) otherwise."""
    return read if method in SAFE_METHODS else (write or read)


def permission_required(read: Perm, *, write: Perm | None = None) -> Callable[[View], View]:
    """A page's one access check: not signed in → the sign-in page; without the permission → 403.

    `read` is needed for GET (and HEAD, OPTIONS), `write` (default: `read`) for any other method. The
    view carries `required_permissions = (read, write)` so the matrix test can compare it to its table.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(request.user, required_permission(request.method or "GET", read, write)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_permissions = (read, write or read)  # type: ignore[attr-defined]
        return wrapped

    return decorator


class PermissionRequiredMixin:
    """`permission_required` for class-based views: set `read_permission` (and `write_permission`)."""

    read_permission: Perm
    write_permission: Perm | None = None

    @classmethod
    def as_view(cls, **initkwargs: Any) -> View:
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        return permission_required(cls.read_permission, write=cls.write_permission)(view)


def role_permissions(request: HttpRequest) -> dict[str, Any]:
    """Template context: `may.<permission>` for the signed-in user (`{% if may.supervise %}`)."""
    granted = permissions_of(getattr(request, "user", None))
    return {"may": {perm.value: perm in granted for perm in Perm}}


# --- rows ---------------------------------------------------------------------------------------------------


def principal_platform(principal: Any) -> Platform | None:
    """The platform of a platform key; None for a person (or nobody)."""
    return principal.platform if isinstance(principal, PlatformPrincipal) else None


def nothing(prefix: str = "") -> Q:
    return Q(**{f"{prefix}pk__in": []})


def case_filter(principal: Any, prefix: str = "") -> Q | None:
    """The one rule of which cases a principal may see, as a condition on the case reached through
    `prefix` (`""` on Case itself, `"case__"` from a plan, `"cases__"` from a borrower or a loan).

    None means every case (no condition). Each model family's `visible_to` builds on this.
    """
    platform = principal_platform(principal)
    if platform is not None:
        return Q(**{f"{prefix}platform": platform})
    if principal is None or not getattr(principal, "is_authenticated", False):
        return nothing(prefix)
    user = principal
    if not getattr(user, "is_active", True):
        return nothing(prefix)
    if user.is_superuser or user.role in (Role.ADMIN, Role.COMPLIANCE):
        return None
    if user.role == Role.AGENCY_COLLECTOR:
        return Q(**{f"{prefix}agency_id": user.agency_id}) if user.agency_id else nothing(prefix)
    if user.role == Role.SUPERVISOR:
        if not user.team_id:
            return None
        # Their team's cases, the unassigned pool they distribute, and the cases their team placed with
        # an agency (the agency works them; the team stays answerable for them): not another team's.
        return (
            Q(**{f"{prefix}assigned_to__team_id": user.team_id})
            | Q(**{f"{prefix}assigned_to__isnull": True, f"{prefix}agency__isnull": True})
            | Q(**{f"{prefix}agency__isnull": False, f"{prefix}placing_team_id": user.team_id})
        )
    if user.role == Role.COLLECTOR:
        return Q(**{f"{prefix}assigned_to": user})
    return nothing(prefix)


def visible_through_cases(queryset: Any, principal: Any, *, platform_field: str = "platform") -> Any:
    """`visible_to` for a model with its own platform and a reverse relation `cases` (borrowers, loans):
    a platform key sees its platform's rows; a user the rows with at least one case they may see."""
    platform = principal_platform(principal)
    if platform is not None:
        return queryset.filter(**{platform_field: platform})
    condition = case_filter(principal, "cases__")
    if condition is None:
        return queryset
    # A subquery, not a join: a borrower with two visible cases must not come back twice.
    return queryset.filter(pk__in=queryset.model._default_manager.filter(condition).values("pk"))
