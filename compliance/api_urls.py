from django.urls import path

from . import api

urlpatterns = [
    path("compliance/check/", api.ComplianceCheckApi.as_view(), name="api-compliance-check"),
    path("compliance/decisions/<int:pk>/", api.DecisionDetailApi.as_view(), name="api-compliance-decision"),
]
