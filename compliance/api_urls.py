from django.urls import path

from . import api

urlpatterns = [
    path("compliance/check/", api.ComplianceCheckApi.as_view(), name="api-compliance-check"),
    path("compliance/decisions/<int:pk>/", api.DecisionDetailApi.as_view(), name="api-compliance-decision"),
    path("contacts/", api.ContactListCreateApi.as_view(), name="api-contacts"),
    path("contacts/<int:pk>/outcome/", api.ContactOutcomeApi.as_view(), name="api-contact-outcome"),
]
