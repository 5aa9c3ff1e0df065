from django.urls import path

from . import api

urlpatterns = [
    path("cases/<int:pk>/promises/", api.CasePromiseListCreateApi.as_view(), name="api-case-promises"),
    path("cases/<int:pk>/plans/", api.CasePlanListCreateApi.as_view(), name="api-case-plans"),
    path("plans/<int:pk>/", api.PlanDetailApi.as_view(), name="api-plan-detail"),
    path("plans/<int:pk>/approve/", api.PlanApproveApi.as_view(), name="api-plan-approve"),
    path("plans/<int:pk>/reject/", api.PlanRejectApi.as_view(), name="api-plan-reject"),
    path("plans/<int:pk>/cancel/", api.PlanCancelApi.as_view(), name="api-plan-cancel"),
]
