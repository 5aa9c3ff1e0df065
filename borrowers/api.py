"""Borrower API: borrowers with their contact points, holds and opt-outs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_platform
from accounts.idempotency import IDEMPOTENCY_KEY_OPTIONAL_PARAMETER, idempotency_key, idempotent_response
from accounts.roles import Perm
from core.api import LargeBodyMixin, PlatformApiMixin, row_errors

from . import selectors, services
from .filters import BorrowerFilterSet
from .models import Hold, OptOut
from .serializers import (
    MAX_BULK,
    BorrowerBulkInputSerializer,
    BorrowerBulkOutputSerializer,
    BorrowerInputSerializer,
    BorrowerOutputSerializer,
    BorrowerUpdateSerializer,
    HoldInputSerializer,
    HoldLiftSerializer,
    HoldOutputSerializer,
    OptOutInputSerializer,
    OptOutOutputSerializer,
)


def _acting_user(request):
    """The signed-in staff user, or None for a platform key (kept on the created_by fields)."""
    return None if request_platform(request) is not None else request.user


class BorrowerListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = BorrowerOutputSerializer
    write_permission = Perm.ADMINISTER  # by session: platform data is the administrators'
    filterset_class = BorrowerFilterSet

    def get_queryset(self):
        return selectors.borrower_list(request=self.request)

    @extend_schema(responses=BorrowerOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(BorrowerOutputSerializer(page, many=True).data)

    @extend_schema(request=BorrowerInputSerializer, responses={201: BorrowerOutputSerializer})
    def post(self, request):
        serializer = BorrowerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        platform = selectors.write_platform(request=request)
        borrower = services.borrower_create(platform=platform, **serializer.validated_data)
        borrower = selectors.borrower_list(request=request).get(pk=borrower.pk)
        return Response(BorrowerOutputSerializer(borrower).data, status=status.HTTP_201_CREATED)


class BulkConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class BorrowerBulkApi(LargeBodyMixin, PlatformApiMixin, APIView):
    write_permission = Perm.ADMINISTER

    @extend_schema(
        request=BorrowerBulkInputSerializer,
        responses={
            200: BorrowerBulkOutputSerializer,
            409: OpenApiResponse(
                description="The Idempotency-Key was used with another body, or a concurrent request created "
                "some of these borrowers (send it again)."
            ),
        },
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        description=(
            f'Up to {MAX_BULK:,} borrowers, as a list or as {{"borrowers": [...]}}, with the fields of POST '
            "/borrowers/; all or nothing. A known external_id is updated: fields left out keep their value, a "
            "list given (phones, emails, third_parties) replaces the old one. Errors name the row: "
            '{"borrowers": {"12": {"region": ["..."]}}}.'
        ),
    )
    def post(self, request):
        idempotency_key(request, required=False)
        return idempotent_response(
            request, scope="borrowers-bulk", handler=lambda: self._upsert(request), required=False
        )

    def _upsert(self, request) -> tuple[int, dict]:
        rows = request.data.get("borrowers") if isinstance(request.data, dict) else request.data
        if not isinstance(rows, list):
            raise ValidationError({"borrowers": ['Send a list of borrowers, or {"borrowers": [...]}.']})
        if not rows:
            raise ValidationError({"borrowers": ["Send at least one borrower."]})
        if len(rows) > MAX_BULK:
            raise ValidationError({"borrowers": [f"Send at most {MAX_BULK} borrowers at once."]})
        serializer = BorrowerInputSerializer(data=rows, many=True)
        if not serializer.is_valid():
            raise ValidationError({"borrowers": row_errors(serializer.errors)})
        platform = selectors.write_platform(request=request)
        try:
            result = services.borrowers_bulk_upsert(platform=platform, borrowers=serializer.validated_data)
        except services.BorrowerRowsInvalid as exc:
            raise ValidationError({"borrowers": {str(i): e for i, e in sorted(exc.errors.items())}})
        except services.BorrowersConflict:
            raise BulkConflict(
                {"borrowers": ["Another request created some of these borrowers at the same time; send it again."]}
            )
        return status.HTTP_200_OK, {"created": result.created, "updated": result.updated}


class BorrowerDetailApi(PlatformApiMixin, APIView):
    serializer_class = BorrowerOutputSerializer
    write_permission = Perm.ADMINISTER

    @extend_schema(responses=BorrowerOutputSerializer)
    def get(self, request, external_id: str):
        borrower = selectors.borrower_get(request=request, external_id=external_id)
        return Response(BorrowerOutputSerializer(borrower).data)

    @extend_schema(request=BorrowerUpdateSerializer, responses=BorrowerOutputSerializer)
    def patch(self, request, external_id: str):
        borrower = selectors.borrower_get(request=request, external_id=external_id)
        serializer = BorrowerUpdateSerializer(borrower, data=request.data)
        serializer.is_valid(raise_exception=True)
        services.borrower_update(borrower=borrower, data=serializer.validated_data)
        borrower = selectors.borrower_get(request=request, external_id=external_id)
        return Response(BorrowerOutputSerializer(borrower).data)


class BorrowerHoldListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = HoldOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Hold.objects.none()
        borrower = selectors.borrower_get(request=self.request, external_id=self.kwargs["external_id"])
        return selectors.hold_list(borrower=borrower)

    @extend_schema(responses=HoldOutputSerializer(many=True))
    def get(self, request, external_id: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(HoldOutputSerializer(page, many=True).data)

    @extend_schema(request=HoldInputSerializer, responses={201: HoldOutputSerializer})
    def post(self, request, external_id: str):
        borrower = selectors.borrower_get(request=request, external_id=external_id)
        serializer = HoldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        loan = None
        if data.pop("loan", None):
            # Only the borrower's own loans: a hold on someone else's loan would silence the wrong case.
            loan = borrower.loans.filter(external_id=serializer.validated_data["loan"]).first()
            if loan is None:
                raise ValidationError({"loan": ["Unknown loan external id."]})
        hold = services.hold_create(borrower=borrower, loan=loan, created_by=_acting_user(request), **data)
        return Response(HoldOutputSerializer(hold).data, status=status.HTTP_201_CREATED)


class HoldDetailApi(PlatformApiMixin, APIView):
    serializer_class = HoldOutputSerializer
    # Lifting a hold ends a borrower's protection: by session, an administrator's act (no page offers it).
    write_permission = Perm.ADMINISTER

    @extend_schema(responses=HoldOutputSerializer)
    def get(self, request, pk: int):
        return Response(HoldOutputSerializer(selectors.hold_get(request=request, pk=pk)).data)

    @extend_schema(request=HoldLiftSerializer, responses=HoldOutputSerializer, summary="Lift a hold")
    def patch(self, request, pk: int):
        hold = selectors.hold_get(request=request, pk=pk)
        serializer = HoldLiftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A pause's hold ends with its pause (cases.pauses): the one path for both.
        hold = services.hold_end(
            hold=hold, ends_at=serializer.validated_data.get("ends_at"), user=_acting_user(request)
        )
        return Response(HoldOutputSerializer(selectors.hold_get(request=request, pk=hold.pk)).data)


class BorrowerOptOutListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = OptOutOutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return OptOut.objects.none()
        borrower = selectors.borrower_get(request=self.request, external_id=self.kwargs["external_id"])
        return selectors.opt_out_list(borrower=borrower)

    @extend_schema(responses=OptOutOutputSerializer(many=True))
    def get(self, request, external_id: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(OptOutOutputSerializer(page, many=True).data)

    @extend_schema(request=OptOutInputSerializer, responses={201: OptOutOutputSerializer})
    def post(self, request, external_id: str):
        borrower = selectors.borrower_get(request=request, external_id=external_id)
        serializer = OptOutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        opt_out = services.opt_out_create(
            borrower=borrower,
            channel=serializer.validated_data["channel"],
            to=serializer.validated_data.get("to") or "",
            created_by=_acting_user(request),
        )
        return Response(OptOutOutputSerializer(opt_out).data, status=status.HTTP_201_CREATED)
