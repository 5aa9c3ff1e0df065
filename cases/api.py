"""Loan, payment and case API."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_platform
from accounts.idempotency import (
    IDEMPOTENCY_KEY_OPTIONAL_PARAMETER,
    IDEMPOTENCY_KEY_PARAMETER,
    idempotency_key,
    idempotent_response,
)
from accounts.roles import Perm
from borrowers.selectors import write_platform
from core.api import LargeBodyMixin, PlatformApiMixin, row_errors

from . import pauses, selectors, services
from .filters import CaseFilterSet, LoanFilterSet
from .models import LoanPause
from .serializers import (
    CaseOutputSerializer,
    LoanBulkInputSerializer,
    LoanBulkOutputSerializer,
    LoanInputSerializer,
    LoanOutputSerializer,
    PauseEndSerializer,
    PauseInputSerializer,
    PauseOutputSerializer,
    PaymentBulkInputSerializer,
    PaymentBulkOutputSerializer,
    PaymentInputSerializer,
    PaymentOutputSerializer,
)

MAX_BULK = 10_000


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class LoanListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = LoanOutputSerializer
    write_permission = Perm.ADMINISTER  # by session: platform data is the administrators'
    filterset_class = LoanFilterSet

    def get_queryset(self):
        return selectors.loan_list(request=self.request)

    @extend_schema(responses=LoanOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(LoanOutputSerializer(page, many=True).data)

    @extend_schema(
        request=LoanInputSerializer,
        responses={201: LoanOutputSerializer, 200: OpenApiResponse(LoanOutputSerializer, "An existing loan, updated")},
        description="Create a loan (201); a known external_id updates that loan and its schedule (200).",
    )
    def post(self, request):
        serializer = LoanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        platform = write_platform(request=request)
        loan, created = services.loan_upsert(platform=platform, **serializer.validated_data)
        loan = selectors.loan_list(request=request).get(pk=loan.pk)
        return Response(
            LoanOutputSerializer(loan).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class LoanDetailApi(PlatformApiMixin, APIView):
    serializer_class = LoanOutputSerializer

    @extend_schema(responses=LoanOutputSerializer)
    def get(self, request, external_id: str):
        return Response(LoanOutputSerializer(selectors.loan_get(request=request, external_id=external_id)).data)


class LoanBulkApi(LargeBodyMixin, PlatformApiMixin, APIView):
    write_permission = Perm.ADMINISTER

    @extend_schema(
        request=LoanBulkInputSerializer,
        responses={200: LoanBulkOutputSerializer},
        description=(
            'Up to 10,000 loans, as a list or as {"loans": [...]}; all or nothing. Errors name the row: '
            '{"loans": {"12": {"principal": ["..."]}}}.'
        ),
    )
    def post(self, request):
        rows = request.data.get("loans") if isinstance(request.data, dict) else request.data
        if not isinstance(rows, list):
            raise ValidationError({"loans": ['Send a list of loans, or {"loans": [...]}.']})
        if not rows:
            raise ValidationError({"loans": ["Send at least one loan."]})
        if len(rows) > MAX_BULK:
            raise ValidationError({"loans": [f"Send at most {MAX_BULK} loans at once."]})
        serializer = LoanInputSerializer(data=rows, many=True)
        if not serializer.is_valid():
            raise ValidationError({"loans": row_errors(serializer.errors)})
        platform = write_platform(request=request)
        try:
            result = services.loans_bulk_upsert(platform=platform, loans=serializer.validated_data)
        except services.LoanRowsInvalid as exc:
            raise ValidationError({"loans": {str(i): e for i, e in sorted(exc.errors.items())}})
        return Response({"created": result.created, "updated": result.updated})


class PaymentCreateApi(PlatformApiMixin, APIView):
    write_permission = Perm.ADMINISTER

    @extend_schema(
        request=PaymentInputSerializer,
        responses={
            201: PaymentOutputSerializer,
            409: OpenApiResponse(
                description="The Idempotency-Key was used with another body, or the external_id is already recorded."
            ),
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    def post(self, request):
        idempotency_key(request)  # a missing key is a 400 before anything else
        serializer = PaymentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        recorded: list = []

        def handler():
            # The payment's transaction: the key's record (run_idempotent's), the loan locked as it is read,
            # the payment's writes and the stored answer. A staff session without a key has no record.
            with transaction.atomic(savepoint=False):
                loan = selectors.loan_for_write(request=request, external_id=data["loan"], lock=True)
                if loan is None:
                    raise ValidationError({"loan": ["Unknown loan external id."]})
                try:
                    payment = services.payment_write(
                        # The caller's platform is the loan's (api_rows); a staff session reads the loan's.
                        platform=request_platform(request) or loan.platform,
                        loan=loan,
                        external_id=data["external_id"],
                        amount=data["amount"],
                        paid_at=data["paid_at"],
                        method=data.get("method", ""),
                        currency=data.get("currency"),
                        loan_locked=True,
                    )
                except services.PaymentExists:
                    raise Conflict({"external_id": ["A payment with this external id is already recorded."]})
            recorded.append(payment)
            # Built from what was written: the payment, its loan and its allocations as recorded.
            return status.HTTP_201_CREATED, PaymentOutputSerializer(payment).data

        response = idempotent_response(request, scope="payments", handler=handler)
        if recorded:
            # After the commit, before the 201 is sent: the loan's refresh and rescore, promises, plans and
            # reminders (docs/api.md, "Payments"). A replayed key recorded nothing and settles nothing.
            services.payment_settle(recorded[0])
        return response


class PaymentBulkApi(LargeBodyMixin, PlatformApiMixin, APIView):
    write_permission = Perm.ADMINISTER

    @extend_schema(
        request=PaymentBulkInputSerializer,
        responses={
            201: PaymentBulkOutputSerializer,
            409: OpenApiResponse(
                description="The Idempotency-Key was used with another body, or another request recorded one of "
                "these external ids at the same time (send it again)."
            ),
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            'Up to 10,000 payments, as {"payments": [...]} (or a bare list); all or nothing. Each row is a '
            "payment as for POST /payments/, allocated the same way. A row whose external_id is already "
            "recorded with the same content (loan, amount, paid_at, method) is a duplicate: it writes nothing "
            "and is counted in `duplicates`; with other content it is a 400. Errors name the row: "
            '{"payments": {"12": {"amount": ["..."]}}}.'
        ),
    )
    def post(self, request):
        idempotency_key(request)  # a missing key is a 400 before anything else
        rows = request.data.get("payments") if isinstance(request.data, dict) else request.data
        if not isinstance(rows, list):
            raise ValidationError({"payments": ['Send a list of payments, or {"payments": [...]}.']})
        if not rows:
            raise ValidationError({"payments": ["Send at least one payment."]})
        if len(rows) > MAX_BULK:
            raise ValidationError({"payments": [f"Send at most {MAX_BULK} payments at once."]})
        serializer = PaymentInputSerializer(data=rows, many=True)
        if not serializer.is_valid():
            raise ValidationError({"payments": row_errors(serializer.errors)})
        platform = write_platform(request=request)

        def handler():
            try:
                result = services.payments_bulk_record(platform=platform, payments=serializer.validated_data)
            except services.PaymentRowsInvalid as exc:
                raise ValidationError({"payments": {str(i): e for i, e in sorted(exc.errors.items())}})
            except IntegrityError:
                # The same external id recorded by a concurrent request for another loan: nothing was written.
                raise Conflict(
                    {"payments": ["Another request recorded some of these payments at the same time; send it again."]}
                )
            body = {
                "created": len(result.payments),
                "duplicates": result.duplicates,
                "cases_changed": result.cases_changed,
            }
            return status.HTTP_201_CREATED, body

        return idempotent_response(request, scope="payments-bulk", handler=handler)


class CaseViewSet(PlatformApiMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CaseOutputSerializer
    filterset_class = CaseFilterSet
    lookup_value_converter = "int"

    def get_queryset(self):
        return selectors.case_list(request=self.request)


class LoanPauseListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    """A loan's delinquency pauses (cases.pauses): while one covers a day the loan's DPD does not grow,
    its case is not re-staged and no reminder or other outreach about it goes out (gate: hold_paused)."""

    serializer_class = PauseOutputSerializer
    write_permission = Perm.SUPERVISE

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LoanPause.objects.none()
        loan = selectors.loan_get(request=self.request, external_id=self.kwargs["external_id"])
        return loan.pauses.select_related("loan").order_by("-starts_on", "-id")

    @extend_schema(responses=PauseOutputSerializer(many=True))
    def get(self, request, external_id: str):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PauseOutputSerializer(page, many=True).data)

    @extend_schema(
        request=PauseInputSerializer,
        responses={
            201: PauseOutputSerializer,
            409: OpenApiResponse(description="The Idempotency-Key was used with another body or another loan."),
        },
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        description=(
            "Pause the loan's delinquency clock from starts_on (may lie in the past) through ends_on "
            "(inclusive; absent: until ended). A pause overlapping another of the loan is a 400 on starts_on, "
            "so a retry cannot pause twice; with an Idempotency-Key the retry gets the first answer again."
        ),
    )
    def post(self, request, external_id: str):
        idempotency_key(request, required=False)  # a malformed key is a 400 before anything else
        loan = selectors.loan_get(request=request, external_id=external_id)
        serializer = PauseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = None if request_platform(request) is not None else request.user

        def handler():
            pause = pauses.loan_pause_create(loan=loan, user=user, **serializer.validated_data)
            return status.HTTP_201_CREATED, PauseOutputSerializer(pause).data

        return idempotent_response(
            request,
            scope="loan-pauses",
            handler=handler,
            required=False,
            payload={"loan": external_id, "body": request.data},
        )


class PauseDetailApi(PlatformApiMixin, APIView):
    serializer_class = PauseOutputSerializer
    write_permission = Perm.SUPERVISE

    @extend_schema(responses=PauseOutputSerializer)
    def get(self, request, pk: int):
        return Response(PauseOutputSerializer(selectors.pause_get(request=request, pk=pk)).data)

    @extend_schema(request=PauseEndSerializer, responses=PauseOutputSerializer, summary="End a pause")
    def patch(self, request, pk: int):
        pause = selectors.pause_get(request=request, pk=pk)
        serializer = PauseEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = None if request_platform(request) is not None else request.user
        pause = pauses.loan_pause_end(pause=pause, ends_on=serializer.validated_data["ends_on"], user=user)
        return Response(PauseOutputSerializer(selectors.pause_get(request=request, pk=pause.pk)).data)
