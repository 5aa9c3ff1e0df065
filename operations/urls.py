from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("operations/", views.operations_page, name="page"),
    path("operations/reminders/requeue/", views.reminders_requeue_action, name="reminders-requeue"),
    path("operations/webhooks/retry/", views.webhooks_retry_action, name="webhooks-retry"),
]
