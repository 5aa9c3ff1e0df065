from django.urls import path

from . import api

urlpatterns = [
    path("cases/<int:pk>/portal-links/", api.CasePortalLinkCreateApi.as_view(), name="api-case-portal-links"),
]
