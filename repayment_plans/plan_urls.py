from django.urls import path

from . import plan_api

urlpatterns = [
    path("cases/<int:pk>/plans/", plan_api.CasePlanListCreateApi.as_view(), name="api-case-plans"),
    path("plans/<int:pk>/", plan_api.PlanDetailApi.as_view(), name="api-plan-detail"),
    path("plans/<int:pk>/approve/", plan_api.PlanApproveApi.as_view(), name="api-plan-approve"),
    path("plans/<int:pk>/reject/", plan_api.PlanRejectApi.as_view(), name="api-plan-reject"),
    path("plans/<int:pk>/cancel/", plan_api.PlanCancelApi.as_view(), name="api-plan-cancel"),
]
