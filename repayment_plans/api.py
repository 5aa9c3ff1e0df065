"""Promise and plan API.

Promises: taken on a case (POST /cases/{id}/promises/) and listed.

Plans: propose (POST /cases/{id}/plans/), list, read, approve, reject, cancel. A platform sees only its
own cases' plans (anything else is 404); a staff user on a session sees the plans of the cases
`Case.objects.visible_to(user)` allows, and needs the role matrix's permission (accounts.roles):
`work_case` to take a promise, propose or cancel, `approve_plans` to approve or refuse. Approving and
refusing are for supervisors on a session; a
platform proposes plans the borrower agreed to in the platform's app, within the default limits, beyond
them the plan waits for a supervisor like a collector's would."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_platform
from accounts.idempotency import IDEMPOTENCY_KEY_OPTIONAL_PARAMETER, idempotency_key, idempotent_response
from accounts.roles import Perm
from cases.models import Case
from cases.selectors import case_get
from core.api import PlatformApiMixin

from . import services
from .models import Plan, Promise
from .serializers import (
    PlanCreateInputSerializer,
    PlanDecisionInputSerializer,
    PlanOutputSerializer,
    PlanPreviewOutputSerializer,
    PromiseInputSerializer,
    PromiseOutputSerializer,
)


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


def _cases(request) -> QuerySet[Case]:
    return Case.objects.select_related("loan", "borrower", "platform").visible_to(request.user)


def _plans(request) -> QuerySet[Plan]:
    return (
        Plan.objects.filter(case__in=_cases(request))
        .select_related("case", "proposed_by")
        .prefetch_related("installments", "approvals__user")
        .order_by("-created_at", "-id")
    )


def _case_for_request(request, pk: int) -> Case:
    case = _cases(request).filter(pk=pk).first()
    if case is None:
        raise NotFound()
    return case


def _plan_for_request(request, pk: int) -> Plan:
    plan = _plans(request).filter(pk=pk).first()
    if plan is None:
        raise NotFound()
    return plan


def _staff_user(request):
    if request_platform(request) is not None:
        raise PermissionDenied("Plans are approved or refused by a supervisor, not through a platform key.")
    return request.user


class CasePlanListCreateApi(generics.GenericAPIView):
    serializer_class = PlanOutputSerializer
    queryset = Plan.objects.none()  # for the schema generator; the views read _plans(request)

    @extend_schema(responses=PlanOutputSerializer(many=True))
    def get(self, request, pk: int):
        case = _case_for_request(request, pk)
        page = self.paginate_queryset(_plans(request).filter(case=case))
        return self.get_paginated_response(PlanOutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=PlanCreateInputSerializer,
        responses={
            201: PlanOutputSerializer,
            200: OpenApiResponse(PlanPreviewOutputSerializer, "dry_run: the schedule, nothing written"),
            409: OpenApiResponse(description="The Idempotency-Key was used with another body or case."),
        },
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        description=(
            "Propose a plan the borrower agreed to. kind=installment: first_due_date, installment_count, "
            "frequency, optional amounts (adding up to total_amount, default the balance). kind=deferral: "
            "first_due_date (the loan's open installments move by the same gap). kind=settlement: "
            "settlement_amount, first_due_date, installment_count. kind=waiver: waive_interest and/or "
            "waive_fees, first_due_date, installment_count. Beyond the proposer's limits the plan is "
            "`pending_approval` (a reason is required); beyond the absolute limits, 400. With an Idempotency-Key "
            "a retry answers the first 201 again; a dry run writes nothing and is not stored (it is computed "
            "afresh each time and leaves the key unused)."
        ),
    )
    def post(self, request, pk: int):
        idempotency_key(request, required=False)
        # The key is bound to the case too: reused on another case it is a 409, not a new plan.
        return idempotent_response(
            request,
            scope="case-plans",
            handler=lambda: self._propose(request, pk),
            required=False,
            payload={"case": pk, "body": request.data},
        )

    def _propose(self, request, pk: int) -> tuple[int, dict, bool]:
        case = _case_for_request(request, pk)
        serializer = PlanCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        dry_run = data.pop("dry_run")
        reason = data.pop("reason")
        platform = request_platform(request)
        user = None if platform is not None else request.user
        if dry_run:
            preview = services.plan_preview(case=case, user=user, platform=platform, **data)
            return status.HTTP_200_OK, PlanPreviewOutputSerializer(preview).data, False
        plan = services.plan_propose(case=case, user=user, platform=platform, reason=reason, **data)
        plan = _plans(request).get(pk=plan.pk)
        return status.HTTP_201_CREATED, PlanOutputSerializer(plan, context={"request": request}).data, True


class PlanDetailApi(APIView):
    @extend_schema(responses=PlanOutputSerializer)
    def get(self, request, pk: int):
        return Response(PlanOutputSerializer(_plan_for_request(request, pk), context={"request": request}).data)


class _PlanDecisionApi(APIView):
    def decide(self, request, plan: Plan, reason: str) -> Plan:
        raise NotImplementedError

    @extend_schema(request=PlanDecisionInputSerializer, responses=PlanOutputSerializer)
    def post(self, request, pk: int):
        plan = _plan_for_request(request, pk)
        serializer = PlanDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.decide(request, plan, serializer.validated_data["reason"])
        return Response(PlanOutputSerializer(_plans(request).get(pk=pk), context={"request": request}).data)


class PlanApproveApi(_PlanDecisionApi):
    write_permission = Perm.APPROVE_PLANS

    def decide(self, request, plan: Plan, reason: str) -> Plan:
        return services.plan_approve(plan=plan, user=_staff_user(request), reason=reason)


class PlanRejectApi(_PlanDecisionApi):
    write_permission = Perm.APPROVE_PLANS

    def decide(self, request, plan: Plan, reason: str) -> Plan:
        return services.plan_reject(plan=plan, user=_staff_user(request), reason=reason)


class PlanCancelApi(_PlanDecisionApi):
    def decide(self, request, plan: Plan, reason: str) -> Plan:
        platform = request_platform(request)
        if platform is not None:
            return services.plan_cancel(plan=plan, reason=reason, platform=platform)
        return services.plan_cancel(plan=plan, reason=reason, user=request.user)
