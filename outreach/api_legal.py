"""Write-off and the legal path on the platform API (cases.legal, the lawyer letter of outreach.lawyer_letters): a platform knows where a debt stands
and acts on it, as a supervisor does on the case page.

- `GET /loans/{external_id}/write-off/`: the loan's charge-off and its recoveries so far;
  `POST` `{reason*, written_off_on}` writes it off (201), a retry of a loan already written off answers
  its write-off again (200) and writes nothing.
- `GET /cases/{id}/legal-proceedings/`: the case's legal path, newest step first; `POST` opens the next
  step (referral with an optional lawyer letter, mediation, litigation; 201), a retry of the step the case
  is at answers it again (200).
- `GET|PATCH /legal-proceedings/{id}/`: one step; the PATCH records its case number, next date or
  outcome, and a retry of the outcome already recorded answers it again (200).

By session these are a supervisor's acts (the `supervise` permission), as on the case page. Every POST
also honours an optional Idempotency-Key.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_platform
from accounts.idempotency import IDEMPOTENCY_KEY_OPTIONAL_PARAMETER, idempotency_key, idempotent_response
from accounts.roles import Perm
from cases import selectors
from cases.legal import legal_outcome_record, legal_step_open, loan_write_off
from cases.models import ZERO, Case, CaseStatus, LegalProceeding, Loan, Payment
from cases.serializers import (
    LegalOutcomeInputSerializer,
    LegalProceedingOutputSerializer,
    LegalStepInputSerializer,
    WriteOffInputSerializer,
    WriteOffOutputSerializer,
)
from core.api import PlatformApiMixin

from .lawyer_letters import lawyer_letter_send

CONFLICT = OpenApiResponse(description="The Idempotency-Key was used with another body or another resource.")


def _user(request):
    return None if request_platform(request) is not None else request.user


def write_off_data(loan: Loan) -> dict:
    recovered = Payment.objects.filter(loan=loan, recovery=True).aggregate(total=Sum("amount"))["total"]
    return WriteOffOutputSerializer(
        {
            "loan": loan.external_id,
            "written_off": loan.written_off_on is not None,
            "written_off_on": loan.written_off_on,
            "written_off_amount": loan.written_off_amount if loan.written_off_on else None,
            "currency": loan.currency,
            "recovered_total": recovered or ZERO,
        }
    ).data


class LoanWriteOffApi(PlatformApiMixin, APIView):
    """A loan's charge-off: payments after it are still allocated and flagged as recoveries."""

    serializer_class = WriteOffOutputSerializer
    write_permission = Perm.SUPERVISE

    @extend_schema(responses=WriteOffOutputSerializer, summary="A loan's write-off and recoveries")
    def get(self, request, external_id: str):
        return Response(write_off_data(selectors.loan_get(request=request, external_id=external_id)))

    @extend_schema(
        request=WriteOffInputSerializer,
        responses={201: WriteOffOutputSerializer, 200: WriteOffOutputSerializer, 409: CONFLICT},
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        summary="Write a loan off",
        description=(
            "Charge the loan off for the balance outstanding (its open case stays open, its automated "
            "reminders stop, `case.written_off` is sent). A loan already written off answers 200 with its "
            "write-off and changes nothing, so a retry is harmless."
        ),
    )
    def post(self, request, external_id: str):
        idempotency_key(request, required=False)
        loan = selectors.loan_get(request=request, external_id=external_id)
        serializer = WriteOffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def handler():
            if loan.written_off_on is not None:
                return status.HTTP_200_OK, write_off_data(loan)
            case = Case.objects.filter(loan=loan, status=CaseStatus.OPEN).first()
            if case is None:
                raise ValidationError({"loan": ["The loan has no open case to write off."]})
            try:
                written = loan_write_off(
                    case=case, user=_user(request), reason=data["reason"], on=data["written_off_on"]
                )
            except DjangoValidationError as error:
                # The service names the day `on`; the API's field is `written_off_on`.
                errors = error.message_dict if hasattr(error, "error_dict") else {"loan": error.messages}
                raise ValidationError({("written_off_on" if k == "on" else k): v for k, v in errors.items()}) from error
            return status.HTTP_201_CREATED, write_off_data(written)

        return idempotent_response(
            request,
            scope="loan-write-off",
            handler=handler,
            required=False,
            payload={"loan": external_id, "body": request.data},
        )


def _proceedings(request):
    """The legal steps of the cases the caller may see (a case's visibility is theirs)."""
    return LegalProceeding.objects.filter(case__in=selectors.case_list(request=request).values("pk")).prefetch_related(
        "letters"
    )


def _proceeding(request, pk: int) -> LegalProceeding:
    proceeding = _proceedings(request).filter(pk=pk).select_related("case").first()
    if proceeding is None:
        raise NotFound()
    return proceeding


class CaseLegalProceedingsApi(PlatformApiMixin, generics.GenericAPIView):
    """A case's legal path: lawyer letter (referral) → pre-litigation mediation → litigation."""

    serializer_class = LegalProceedingOutputSerializer
    write_permission = Perm.SUPERVISE

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LegalProceeding.objects.none()
        case = selectors.case_get(request=self.request, pk=self.kwargs["pk"])
        return case.legal_proceedings.prefetch_related("letters").order_by("-started_on", "-id")

    @extend_schema(responses=LegalProceedingOutputSerializer(many=True), summary="A case's legal proceedings")
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(LegalProceedingOutputSerializer(page, many=True).data)

    @extend_schema(
        request=LegalStepInputSerializer,
        responses={201: LegalProceedingOutputSerializer, 200: LegalProceedingOutputSerializer, 409: CONFLICT},
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        summary="Open the next legal step",
        description=(
            "Moves the case forward on its legal path (a step may be skipped, never repeated or undone); "
            "the step before ends (a pending mediation as failed). With `send_letter` a referral's lawyer "
            "letter is sent by post through the compliance gate (its status says whether it went). The "
            "case's reminders freeze while it is on the path. A retry of the step the case is at (same kind, "
            "forum and start) answers 200 with it."
        ),
    )
    def post(self, request, pk: int):
        idempotency_key(request, required=False)
        case = selectors.case_get(request=request, pk=pk)
        serializer = LegalStepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        send_letter = data.pop("send_letter")
        data["forum"] = data["forum"].strip()
        data["started_on"] = data["started_on"] or timezone.localdate()

        def handler():
            current = LegalProceeding.objects.filter(
                case=case, kind=data["kind"], forum=data["forum"], started_on=data["started_on"]
            ).first()
            if current is not None and case.legal_stage == current.kind:
                return status.HTTP_200_OK, LegalProceedingOutputSerializer(current).data
            if send_letter and data["kind"] == LegalProceeding.Kind.REFERRAL and not case.borrower.address.strip():
                # Refused before the step is opened: the caller asked for both.
                raise ValidationError({"send_letter": ["The borrower has no postal address."]})
            with transaction.atomic():
                proceeding = legal_step_open(case=case, user=_user(request), **data)
                if send_letter and proceeding.kind == LegalProceeding.Kind.REFERRAL:
                    lawyer_letter_send(proceeding=proceeding, user=_user(request))
            fresh = _proceedings(request).get(pk=proceeding.pk)
            return status.HTTP_201_CREATED, LegalProceedingOutputSerializer(fresh).data

        return idempotent_response(
            request,
            scope="legal-proceedings",
            handler=handler,
            required=False,
            payload={"case": pk, "body": request.data},
        )


class LegalProceedingDetailApi(PlatformApiMixin, APIView):
    serializer_class = LegalProceedingOutputSerializer
    write_permission = Perm.SUPERVISE

    @extend_schema(responses=LegalProceedingOutputSerializer, summary="A legal proceeding")
    def get(self, request, pk: int):
        return Response(LegalProceedingOutputSerializer(_proceeding(request, pk)).data)

    @extend_schema(
        request=LegalOutcomeInputSerializer,
        responses=LegalProceedingOutputSerializer,
        summary="Record a legal step's case number, next date or outcome",
        description=(
            "An outcome ends the step: settled, withdrawn or a judgment for the borrower returns the case to "
            "ordinary collection; a failed mediation stays at mediation until a lawsuit; a judgment for the "
            "lender stays at litigation. A retry of the outcome already recorded answers it again."
        ),
    )
    def patch(self, request, pk: int):
        proceeding = _proceeding(request, pk)
        serializer = LegalOutcomeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = data.get("outcome", "")
        if not (proceeding.ended_on is not None and outcome and outcome == proceeding.outcome):
            legal_outcome_record(
                proceeding=proceeding,
                outcome=outcome,
                user=_user(request),
                ended_on=data.get("ended_on"),
                next_date=data.get("next_date"),
                reference=data.get("reference"),
                amount_awarded=data.get("amount_awarded"),
                notes=data.get("notes", ""),
            )
        return Response(LegalProceedingOutputSerializer(_proceedings(request).get(pk=pk)).data)
