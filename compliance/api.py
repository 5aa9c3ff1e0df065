"""The compliance gate over the platform API: a dry-run check (POST /compliance/check/), reading a
stored decision, and the contact log, whose writes are the gate's: performing or recording an action
(POST /contacts/) and recording an outcome. The contact log's records belong to contacts; the gate
writes them, so their API lives with the gate."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import api_object, api_rows, request_platform
from accounts.idempotency import IDEMPOTENCY_KEY_OPTIONAL_PARAMETER, idempotency_key, idempotent_response
from accounts.models import User
from borrowers.models import Borrower, ThirdParty
from cases.models import Loan
from contacts.models import ContactAttempt, Direction, Outcome
from contacts.serializers import ContactOutputSerializer
from contacts.services import OutcomeAlreadyRecorded, contact_record_outcome
from core.api import PlatformApiMixin, TimeFilterField

from .actions import Actor, OutreachAction
from .models import Decision
from .serializers import ActionInputSerializer, CheckOutputSerializer, DecisionOutputSerializer, check_body
from .services import outreach_authorize


def _one(queryset, field: str, value: Any, what: str):
    """The caller's object named by a reference field, or a 400 naming the field."""
    matches = list(queryset[:2])
    if len(matches) != 1:
        raise ValidationError({field: [f"Unknown {what} {value!r}."]})
    return matches[0]


def resolve_action(request: Request, data: dict[str, Any], **fields: Any) -> tuple[OutreachAction, Actor]:
    """Turn the references of a validated action (external ids, third-party id) into objects of the
    caller's platform, and name who is acting. Anything unknown is a 400 on its field. `fields`: the
    rest of the action (a dry run, a reported outcome)."""
    borrowers = api_rows(Borrower.objects.select_related("platform"), request)
    borrower: Borrower = _one(borrowers.filter(external_id=data["borrower"]), "borrower", data["borrower"], "borrower")
    loan = None
    if data.get("loan"):
        loans = Loan.objects.filter(platform=borrower.platform, borrower=borrower, external_id=data["loan"])
        loan = _one(loans, "loan", data["loan"], "loan of this borrower")
    third_party = None
    if data.get("third_party") is not None:
        third_parties = ThirdParty.objects.filter(pk=data["third_party"], borrower=borrower)
        third_party = _one(third_parties, "third_party", data["third_party"], "third party of this borrower")
    platform = request_platform(request)
    # Without a platform key the caller is a signed-in staff user (the API's authentication and permissions).
    actor = Actor.of_platform(platform) if platform else Actor.of_user(cast(User, request.user))
    action = OutreachAction(
        borrower=borrower,
        loan=loan,
        third_party=third_party,
        channel=data["channel"],
        party=data["party"],
        to=data.get("to") or None,
        at=data.get("at"),
        message=data.get("message") or "",
        collectors=data.get("collectors"),
        autodialed=data["autodialed"],
        consented=data["consented"],
        at_work=data["at_work"],
        **fields,
    )
    return action, actor


class ComplianceCheckApi(PlatformApiMixin, APIView):
    """Evaluate an outreach action without performing it: the decision is recorded, nothing reserved."""

    class InputSerializer(ActionInputSerializer):
        class Meta:
            ref_name = "ComplianceCheckInput"  # the schema component: three views name theirs InputSerializer

    @extend_schema(request=InputSerializer, responses={200: CheckOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        action, actor = resolve_action(request, serializer.validated_data, dry_run=True)
        result = outreach_authorize(action=action, actor=actor)
        assert result.decision is not None  # the gate records every outbound action it judges
        return Response(check_body(result.decision))


class DecisionDetailApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = DecisionOutputSerializer

    def get_queryset(self):
        return Decision.objects.select_related("borrower", "loan")

    @extend_schema(responses=DecisionOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        decision = api_object(self.get_queryset(), request, pk=pk)
        return Response(DecisionOutputSerializer(decision).data)


# Dialers report after the fact; a time in the future is a clock error or an attempt to pre-book.
MAX_CLOCK_SKEW = dt.timedelta(minutes=5)


class DisclosureInputSerializer(serializers.Serializer):
    """One statement of the call script the dialer ran, as the workspace records it on a call's outcome
    (outreach.call_scripts.disclosures_delivered): quality review scores the required ones not read."""

    code = serializers.SlugField(max_length=50)
    pack = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    # The declared field is popped from the class by DRF's metaclass: Field.required stays a bool.
    required = serializers.BooleanField(default=False)  # type: ignore[assignment]
    read = serializers.BooleanField()


class ContactListCreateApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = ContactOutputSerializer

    class InputSerializer(ActionInputSerializer):
        class Meta:
            ref_name = "ContactInput"  # the schema component's name

        direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.OUTBOUND)
        outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True, default="")
        duration_s = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=86400)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
        # Optional (an addition to the documented request): the disclosures the call script asked for and
        # whether each was read, recorded on the contact as a collector's call records them.
        disclosures = serializers.ListField(child=DisclosureInputSerializer(), required=False, max_length=50)

        def validate_at(self, value: dt.datetime | None) -> dt.datetime | None:
            if value is not None and value > timezone.now() + MAX_CLOCK_SKEW:
                raise serializers.ValidationError("May not lie more than 5 minutes in the future.")
            return value

    class FilterSerializer(serializers.Serializer):
        # Empty means no filter, as on every list (`?borrower=&since=`); times are RFC 3339, as the schema says.
        borrower = serializers.CharField(required=False, allow_blank=True)
        loan = serializers.CharField(required=False, allow_blank=True)
        since = TimeFilterField(required=False)

    def get_queryset(self):
        queryset = ContactAttempt.objects.select_related("borrower", "loan").order_by("-at", "-id")
        return api_rows(queryset, self.request)

    @extend_schema(
        parameters=[
            OpenApiParameter("borrower", str, description="borrower external_id"),
            OpenApiParameter("loan", str, description="loan external_id"),
            OpenApiParameter("since", dt.datetime, description="contacts at or after this time"),
        ],
        responses=ContactOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = self.get_queryset()
        if filters.validated_data.get("borrower"):
            queryset = queryset.filter(borrower__external_id=filters.validated_data["borrower"])
        if filters.validated_data.get("loan"):
            queryset = queryset.filter(loan__external_id=filters.validated_data["loan"])
        if filters.validated_data.get("since"):
            queryset = queryset.filter(at__gte=filters.validated_data["since"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ContactOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: ContactOutputSerializer,
            422: CheckOutputSerializer,
            409: OpenApiResponse(description="The Idempotency-Key was used with another body."),
        },
        parameters=[IDEMPOTENCY_KEY_OPTIONAL_PARAMETER],
        description="Outbound actions pass the compliance gate: 201 when allowed, 422 with the check's body "
        "when blocked (the decision is kept, no contact is written). Inbound contacts are always recorded. "
        "With an Idempotency-Key, a retry answers the first response again, the 422 included (its decision "
        "is not recorded twice).",
    )
    def post(self, request: Request) -> Response:
        idempotency_key(request, required=False)  # a malformed key is a 400 before anything else
        # Validation runs inside the handler: a replay answers the stored response even when the body
        # would no longer pass (an `at` that has since drifted out of bounds).
        return idempotent_response(request, scope="contacts", handler=lambda: self._create(request), required=False)

    def _create(self, request: Request) -> tuple[int, dict]:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action, actor = resolve_action(
            request,
            data,
            direction=data["direction"],
            outcome=data["outcome"],
            duration_s=data.get("duration_s"),
            notes=data["notes"],
            disclosures=tuple(dict(d) for d in data.get("disclosures", [])),
        )
        result = outreach_authorize(action=action, actor=actor)
        if action.direction == Direction.INBOUND:  # recorded, never judged: no decision
            assert result.contact is not None
            return status.HTTP_201_CREATED, ContactOutputSerializer(result.contact).data
        assert result.decision is not None  # the gate records every outbound action it judges
        if not result.allowed:
            return status.HTTP_422_UNPROCESSABLE_ENTITY, check_body(result.decision)
        assert result.contact is not None  # an allowed live action reserves its contact
        body = {**ContactOutputSerializer(result.contact).data, **check_body(result.decision)}
        body["id"] = result.contact.pk
        return status.HTTP_201_CREATED, body


class ContactOutcomeApi(PlatformApiMixin, generics.GenericAPIView):
    """Record the outcome of a pending outbound attempt, once."""

    serializer_class = ContactOutputSerializer

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ContactOutcomeInput"  # the schema component's name

        outcome = serializers.ChoiceField(choices=Outcome.choices)
        duration_s = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=86400)
        notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)

    def get_queryset(self):
        return ContactAttempt.objects.select_related("borrower", "loan")

    @extend_schema(request=InputSerializer, responses={200: ContactOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        contact = api_object(self.get_queryset(), request, pk=pk)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            contact = contact_record_outcome(contact=contact, **serializer.validated_data)
        except OutcomeAlreadyRecorded as exc:
            return Response(exc.message_dict, status=status.HTTP_409_CONFLICT)
        return Response(ContactOutputSerializer(contact).data)
