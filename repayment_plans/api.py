"""Promise API: promises to pay taken on a case."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status

from accounts.api import request_platform
from accounts.idempotency import IDEMPOTENCY_KEY_OPTIONAL_PARAMETER, idempotency_key, idempotent_response
from cases.selectors import case_get
from core.api import PlatformApiMixin

from . import services
from .models import Promise
from .serializers import PromiseInputSerializer, PromiseOutputSerializer


class CasePromiseListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = PromiseOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Promise.objects.none()
        case = case_get(request=self.request, pk=self.kwargs["pk"])
        return case.promises.order_by("-created_at", "-id")

    @extend_schema(responses=PromiseOutputSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PromiseOutputSerializer(page, many=True).data)

    @extend_schema(
        request=PromiseInputSerializer,
        responses={
            201: PromiseOutputSerializer,
            409: OpenApiResponse(description="The Idempotency-Key was used with another body or case."),
        },
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
    )
    def post(self, request, pk: int):
        idempotency_key(request, required=False)

        def handler():
            case = case_get(request=request, pk=pk)
            serializer = PromiseInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            platform = request_platform(request)
            promise = services.promise_create(
                case=case,
                amount=serializer.validated_data["amount"],
                due_date=serializer.validated_data["due_date"],
                created_by=None if platform else request.user,
                created_by_platform=platform,
            )
            return status.HTTP_201_CREATED, PromiseOutputSerializer(promise).data

        # The key is bound to the case too: reused on another case it is a 409, not a new promise.
        return idempotent_response(
            request, scope="case-promises", handler=handler, required=False, payload={"case": pk, "body": request.data}
        )
