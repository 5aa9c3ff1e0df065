"""Pages of the work the scheduler creates for people: tasks (a collector's own, a supervisor's team's)
and alerts (a supervisor's), each closed or acknowledged with who and when.

The write paths are outreach.work (done, cancel, acknowledge) and supervision.services.task_reassign.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import Perm, can, permission_required
from outreach.models import Alert, Task, TaskKind, TaskStatus
from outreach.selectors import alerts_for, tasks_for
from outreach.work import alert_acknowledge, task_cancel, task_complete
from supervision.services import task_reassign, team_collectors

from . import forms as wf
from .selectors import queue_owner_choices
from .views import in_user_zone

PAGE_SIZE = 50


def _back(request: AuthenticatedHttpRequest, default: str) -> HttpResponse:
    """Back where the form was posted from (My day or the list), never off the site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _errors(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    texts = [m for ms in exc.message_dict.values() for m in ms] if hasattr(exc, "error_dict") else exc.messages
    for text in texts:
        messages.error(request, text)


@permission_required(Perm.VIEW_CASES)
@require_GET
@in_user_zone
def task_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    status = request.GET.get("status", TaskStatus.OPEN)
    if status not in TaskStatus.values:
        status = TaskStatus.OPEN
    owners = queue_owner_choices(user)
    assignee = None
    assignee_id = request.GET.get("assignee", "")
    if assignee_id == "me":
        assignee = user
    elif assignee_id.isdigit():
        assignee = owners.filter(pk=int(assignee_id)).first()
    page = Paginator(tasks_for(user, status=status, assignee=assignee), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    supervise = can(user, Perm.SUPERVISE)
    context: dict[str, Any] = {
        "page_obj": page,
        "tasks": page.object_list,
        "status": status,
        "statuses": TaskStatus.choices,
        "assignee_id": assignee_id,
        "owners": list(owners),
        "filter_query": query.urlencode(),
        "may_supervise": supervise,
        "may_work": can(user, Perm.WORK_CASE),
        "collectors": list(team_collectors(user)) if supervise else [],
        "placement": TaskKind.PLACEMENT,
        "next_url": request.get_full_path(),
    }
    return render(request, "workspace/tasks.html", context)


def _task_for(request: AuthenticatedHttpRequest, pk: int) -> Task:
    return get_object_or_404(Task.objects.visible_to(request.user), pk=pk)


@permission_required(Perm.WORK_CASE)
@require_POST
def task_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    form = wf.TaskCloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        task_complete(task=task, user=request.user, note=note)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Task done: case #%(case)s.") % {"case": task.case_id})
    return _back(request, "tasks")


@permission_required(Perm.WORK_CASE)
@require_POST
def task_cancel_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    form = wf.TaskCloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        task_cancel(task=task, user=request.user, note=note)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Task cancelled: case #%(case)s.") % {"case": task.case_id})
    return _back(request, "tasks")


@permission_required(Perm.SUPERVISE)
@require_POST
def task_reassign_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    form = wf.TaskReassignForm(request.POST, collectors=team_collectors(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request, "tasks")
    to_user = form.cleaned_data["to_user"]
    try:
        task_reassign(task=task, to_user=to_user, user=request.user, reason=form.cleaned_data["note"])
    except ValidationError as exc:
        _errors(request, exc)
    else:
        name = to_user.get_full_name() or to_user.username
        messages.success(request, _("Task handed to %(user)s, with its case.") % {"user": name})
    return _back(request, "tasks")


@permission_required(Perm.SUPERVISE)
@require_GET
@in_user_zone
def alert_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    acknowledged = request.GET.get("show") == "acknowledged"
    alerts = alerts_for(request.user, open_only=not acknowledged)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspace/alerts.html",
        {
            "page_obj": page,
            "alerts": page.object_list,
            "acknowledged": acknowledged,
            "filter_query": query.urlencode(),
            "next_url": request.get_full_path(),
        },
    )


@permission_required(Perm.SUPERVISE)
@require_POST
def alert_acknowledge_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
    form = wf.TaskCloseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        alert_acknowledge(alert=alert, user=request.user, note=note)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Alert acknowledged."))
    return _back(request, "alerts")
