from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("webhooks/events", api.WebhookEventViewSet, basename="api-webhook-event")

urlpatterns = [*router.urls]
