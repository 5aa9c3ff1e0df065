from django.urls import path

from . import api

urlpatterns = [
    path("contacts/<int:pk>/", api.ContactDetailApi.as_view(), name="api-contact-detail"),
    path("providers/<slug:provider>/receipts/", api.ProviderReceiptsApi.as_view(), name="api-provider-receipts"),
    path("providers/<slug:provider>/replies/", api.ProviderRepliesApi.as_view(), name="api-provider-replies"),
]
