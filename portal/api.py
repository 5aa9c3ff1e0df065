"""Portal links over the platform API: POST /cases/{id}/portal-links/ (the case's platform only; 404 else)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.selectors import case_get
from core.api import PlatformApiMixin

from .models import LinkSource
from .serializers import PortalLinkOutputSerializer
from .services import portal_link_create


class CasePortalLinkCreateApi(PlatformApiMixin, APIView):
    @extend_schema(
        request=None,
        responses={201: PortalLinkOutputSerializer},
        description=(
            "A new link to the borrower portal for the case's borrower, valid for PORTAL_LINK_DAYS (14 by "
            "default). The borrower confirms who they are with the platform's second factor (date of birth or "
            "the last four characters of the national id), then sees what is owed and may pay, promise, choose "
            "a plan, set contact preferences, dispute or tell of hardship. The URL is shown once: only its hash "
            "is stored. Reminder templates get one through the {portal_link} placeholder."
        ),
    )
    def post(self, request, pk: int):
        case = case_get(request=request, pk=pk)
        link, url = portal_link_create(case=case, source=LinkSource.API)
        data = PortalLinkOutputSerializer({"id": link.pk, "url": url, "expires_at": link.expires_at}).data
        return Response(data, status=status.HTTP_201_CREATED)
