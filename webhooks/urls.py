from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/", views.webhook_event_list, name="webhook-event-list"),
    path("webhooks/<uuid:event_id>/replay/", views.webhook_event_replay, name="webhook-event-replay"),
]
