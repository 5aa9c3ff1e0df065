from django.urls import path

from . import api, api_legal

urlpatterns = [
    path("contacts/<int:pk>/", api.ContactDetailApi.as_view(), name="api-contact-detail"),
    # Write-off and the legal path (docs/api.md): here, beside the lawyer letter the legal path sends.
    path("loans/<str:external_id>/write-off/", api_legal.LoanWriteOffApi.as_view(), name="api-loan-write-off"),
    path(
        "cases/<int:pk>/legal-proceedings/",
        api_legal.CaseLegalProceedingsApi.as_view(),
        name="api-case-legal-proceedings",
    ),
    path(
        "legal-proceedings/<int:pk>/",
        api_legal.LegalProceedingDetailApi.as_view(),
        name="api-legal-proceeding-detail",
    ),
    path("providers/<slug:provider>/receipts/", api.ProviderReceiptsApi.as_view(), name="api-provider-receipts"),
    path("providers/<slug:provider>/replies/", api.ProviderRepliesApi.as_view(), name="api-provider-replies"),
]
