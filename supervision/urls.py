from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("supervision/", views.dashboard_page, name="dashboard"),
    path("supervision/kpi/<slug:kpi>/cases/", views.kpi_cases_page, name="kpi-cases"),
    path("supervision/audit/", views.audit_list, name="audit"),
    path("supervision/audit/<int:pk>/", views.audit_contact, name="audit-contact"),
    path("supervision/audit/decision/<int:pk>/", views.audit_decision, name="audit-decision"),
    path("supervision/evidence/", views.evidence_page, name="evidence"),
    path("supervision/quality/", views.quality_page, name="quality"),
    path("supervision/quality/<int:pk>/", views.quality_review, name="quality-review"),
    path("supervision/agencies/", views.agencies_page, name="agencies"),
    path("supervision/approvals/", views.approvals_page, name="approvals"),
    path("supervision/approvals/<int:pk>/", views.approvals_decide, name="approvals-decide"),
    path("supervision/assignment/", views.assignment_page, name="assignment"),
    path("supervision/experiments/", views.experiments_page, name="experiments"),
    path("supervision/experiments/<int:pk>/stop/", views.experiment_stop, name="experiment-stop"),
    path("supervision/experiments/arms/<int:pk>/promote/", views.experiment_promote, name="experiment-promote"),
]
