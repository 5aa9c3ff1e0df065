"""The operations page: the pipeline's state for supervisors and administrators (`Perm.OPERATE`), and its
two repair actions, each through its app's service: requeue failed reminders (they go through the gate
again when sent) and replay a platform's dead webhook events."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Platform
from accounts.roles import Perm, permission_required
from outreach.services import reminders_requeue
from webhooks.services import REPLAY_DEAD_BATCH, events_replay_dead

from .selectors import REFRESH_LATE_AFTER, pipeline_state


@permission_required(Perm.OPERATE)
@require_GET
def operations_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "operations/page.html",
        {
            "pipeline": pipeline_state(now=timezone.now()),
            "claim_timeout_s": settings.REMINDER_CLAIM_TIMEOUT_S,
            "refresh_late_hours": int(REFRESH_LATE_AFTER.total_seconds() // 3600),
            "replay_batch": REPLAY_DEAD_BATCH,
        },
    )


@permission_required(Perm.OPERATE)
@require_POST
def reminders_requeue_action(request: AuthenticatedHttpRequest) -> HttpResponse:
    """POST `job` (one job's id) or `reason` (every failed job that failed for it)."""
    job, reason = request.POST.get("job", ""), request.POST.get("reason", "")
    if job.isdigit():
        count = reminders_requeue(user=request.user, job_ids=[int(job)])
    elif reason:
        count = reminders_requeue(user=request.user, reason=reason)
    else:
        return HttpResponseBadRequest(_("Say which reminder to requeue (job) or which failure reason (reason)."))
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s reminder is queued again; the compliance gate decides it again when it is sent.",
                "%(count)s reminders are queued again; the compliance gate decides each again when it is sent.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.warning(request, _("Nothing was requeued: only failed reminders of open cases can be."))
    return redirect("operations:page")


@permission_required(Perm.OPERATE)
@require_POST
def webhooks_retry_action(request: AuthenticatedHttpRequest) -> HttpResponse:
    """POST `platform`: replay that platform's dead webhook events (the oldest first, a batch at a time)."""
    platform_id = request.POST.get("platform", "")
    if not platform_id.isdigit():
        return HttpResponseBadRequest(_("Say whose dead webhook events to retry (platform)."))
    platform = get_object_or_404(Platform, pk=int(platform_id))
    count = events_replay_dead(platform=platform)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s dead event of %(platform)s is queued for delivery again.",
                "%(count)s dead events of %(platform)s are queued for delivery again.",
                count,
            )
            % {"count": count, "platform": platform.name},
        )
    else:
        messages.warning(request, _("%(platform)s has no dead webhook events.") % {"platform": platform.name})
    return redirect("operations:page")
