from __future__ import annotations

import django_filters

from .models import EventStatus, EventType, WebhookEvent


class WebhookEventFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    type = django_filters.ChoiceFilter(choices=EventType.choices)

    class Meta:
        model = WebhookEvent
        fields = ["status", "type"]
