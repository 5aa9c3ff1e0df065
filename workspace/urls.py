from django.urls import path

from . import views, work

urlpatterns = [
    path("queue/", views.work_queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue-next"),
    path("tasks/", work.task_list, name="tasks"),
    path("tasks/<int:pk>/done/", work.task_done, name="task-done"),
    path("tasks/<int:pk>/cancel/", work.task_cancel_view, name="task-cancel"),
    path("tasks/<int:pk>/reassign/", work.task_reassign_view, name="task-reassign"),
    path("alerts/", work.alert_list, name="alerts"),
    path("alerts/<int:pk>/acknowledge/", work.alert_acknowledge_view, name="alert-acknowledge"),
    path("search/", views.case_search_page, name="case-search"),
    path("cases/<int:pk>/", views.case_workspace, name="case-detail"),
    path("cases/<int:pk>/call/", views.call_start, name="case-call-start"),
    path("cases/<int:pk>/inbound-call/", views.inbound_call, name="case-inbound-call"),
    path("cases/<int:pk>/contacts/<int:contact_pk>/outcome/", views.contact_outcome, name="case-contact-outcome"),
    path("cases/<int:pk>/message/<str:channel>/", views.message_send, name="case-message-send"),
    path("cases/<int:pk>/message/<str:channel>/preview/", views.message_preview, name="case-message-preview"),
    path("cases/<int:pk>/letter/", views.letter_record, name="case-letter"),
    path("cases/<int:pk>/visit/", views.visit_record, name="case-visit"),
    path("cases/<int:pk>/promise/", views.promise_take, name="case-promise"),
    path("cases/<int:pk>/hold/", views.hold_add, name="case-hold"),
    path("cases/<int:pk>/opt-out/", views.opt_out_add, name="case-opt-out"),
    path("cases/<int:pk>/contact-times/", views.contact_times_add, name="case-contact-times"),
    path("cases/<int:pk>/validation/verify/", views.validation_verify, name="case-validation-verify"),
    path("cases/<int:pk>/override/", views.block_override, name="case-override"),
]
