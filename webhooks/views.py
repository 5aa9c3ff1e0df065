"""The supervisor's delivery log page: every platform's webhook events, with a replay button.

Both need the `supervise` permission (accounts.roles); the rows are `WebhookEvent.objects.visible_to`."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Platform
from accounts.roles import Perm, permission_required

from .models import EventStatus, EventType, WebhookEvent
from .services import event_replay

PAGE_SIZE = 50


# Webhook payloads span every platform and team, so this is a supervisor's tool, not a collector's.
@permission_required(Perm.SUPERVISE)
@require_GET
def webhook_event_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    events = WebhookEvent.objects.visible_to(request.user).select_related("platform").order_by("-created_at", "-id")
    filters = {
        "status": request.GET.get("status", ""),
        "type": request.GET.get("type", ""),
        "platform": request.GET.get("platform", ""),
    }
    # Unknown values are ignored rather than answered with an error: this is a page, not the API.
    if filters["status"] in EventStatus.values:
        events = events.filter(status=filters["status"])
    if filters["type"] in EventType.values:
        events = events.filter(type=filters["type"])
    if filters["platform"].isdigit():
        events = events.filter(platform_id=int(filters["platform"]))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "webhooks/event_list.html",
        {
            "page_obj": page,
            "events": page.object_list,
            "filters": filters,
            "filter_query": query.urlencode(),
            "statuses": EventStatus.choices,
            "types": EventType.choices,
            "platforms": Platform.objects.order_by("name").values_list("id", "name"),
        },
    )


@permission_required(Perm.SUPERVISE)
@require_POST
def webhook_event_replay(request: AuthenticatedHttpRequest, event_id: uuid.UUID) -> HttpResponse:
    event = event_replay(event=get_object_or_404(WebhookEvent.objects.visible_to(request.user), event_id=event_id))
    messages.success(request, _("Event %(event_id)s is queued for delivery again.") % {"event_id": event.event_id})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("webhook-event-list")
    return redirect(next_url)
