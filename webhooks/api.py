"""The platform's delivery log: its webhook events, their attempts, and replay."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import api_rows
from accounts.roles import Perm

from .filters import WebhookEventFilterSet
from .models import WebhookEvent
from .serializers import WebhookEventDetailOutputSerializer, WebhookEventOutputSerializer
from .services import event_replay

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class WebhookEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Webhook events sent (or owed) to the calling platform, newest first. Another platform's: 404.
    By session: the delivery log's permission (`supervise`), as on its page."""

    read_permission = Perm.SUPERVISE
    write_permission = Perm.SUPERVISE

    lookup_field = "event_id"
    # Anything that is not a UUID does not match the route: a 404, never a failed UUID parse.
    lookup_value_regex = UUID_PATTERN
    filterset_class = WebhookEventFilterSet
    queryset = WebhookEvent.objects.none()  # for the schema generator; get_queryset is what runs

    def get_queryset(self) -> QuerySet[WebhookEvent]:
        events = WebhookEvent.objects.order_by("-created_at", "-id")
        if self.action in ("retrieve", "replay"):
            events = events.prefetch_related("deliveries")
        return api_rows(events, self.request)

    def get_serializer_class(self):
        if self.action in ("retrieve", "replay"):
            return WebhookEventDetailOutputSerializer
        return WebhookEventOutputSerializer

    @extend_schema(request=None, responses={202: WebhookEventDetailOutputSerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, event_id: str | None = None) -> Response:
        """Queue the event for delivery again, with the same event_id, whatever its status (202)."""
        event = event_replay(event=self.get_object())
        return Response(self.get_serializer(event).data, status=status.HTTP_202_ACCEPTED)
