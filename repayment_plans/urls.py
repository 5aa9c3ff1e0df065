from django.urls import path

from . import views

urlpatterns = [
    path("cases/<int:case_pk>/plans/new/", views.plan_new, name="plan-new"),
    path("plans/approvals/", views.plan_approvals, name="plan-approvals"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/approve/", views.plan_approve_view, name="plan-approve"),
    path("plans/<int:pk>/reject/", views.plan_reject_view, name="plan-reject"),
    path("plans/<int:pk>/cancel/", views.plan_cancel_view, name="plan-cancel"),
    path("plans/<int:pk>/agreement/", views.plan_agreement, name="plan-agreement"),
    path("plans/<int:pk>/agreement.pdf", views.plan_agreement_pdf, name="plan-agreement-pdf"),
    path("plans/<int:pk>/agreement/send/", views.plan_agreement_send_view, name="plan-agreement-send"),
]
