"""The compliance gate over the platform API: a dry-run check, and reading a stored decision."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import get_platform_object, request_platform, restrict_to_platform
from borrowers.models import Borrower, ThirdParty
from cases.models import Loan
from contacts.models import ActorKind
from core.api import PlatformApiMixin

from .models import Decision
from .serializers import ActionInputSerializer, CheckOutputSerializer, DecisionOutputSerializer, check_body
from .services import outreach_authorize


def _one(queryset, field: str, value: Any, what: str):
    """The caller's object named by a reference field, or a 400 naming the field."""
    matches = list(queryset[:2])
    if len(matches) != 1:
        raise ValidationError({field: [f"Unknown {what} {value!r}."]})
    return matches[0]


def resolve_action(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    """Turn the references of a validated action (external ids, third-party id) into objects of the
    caller's platform, and name who is acting. Anything unknown is a 400 on its field."""
    borrowers = restrict_to_platform(Borrower.objects.select_related("platform"), request)
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
    actor = (
        {"actor_kind": ActorKind.PLATFORM, "actor_platform": platform, "actor_user": None}
        if platform
        else {"actor_kind": ActorKind.USER, "actor_platform": None, "actor_user": request.user}
    )
    return {
        "borrower": borrower,
        "loan": loan,
        "third_party": third_party,
        "channel": data["channel"],
        "party": data["party"],
        "to": data.get("to") or None,
        "at": data.get("at"),
        "message": data.get("message") or "",
        "collectors": data.get("collectors"),
        "autodialed": data["autodialed"],
        "consented": data["consented"],
        "at_work": data["at_work"],
        **actor,
    }


class ComplianceCheckApi(PlatformApiMixin, APIView):
    """Evaluate an outreach action without performing it: the decision is recorded, nothing reserved."""

    class InputSerializer(ActionInputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={200: CheckOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = outreach_authorize(**resolve_action(request, serializer.validated_data), dry_run=True)
        return Response(check_body(result.decision))


class DecisionDetailApi(PlatformApiMixin, generics.GenericAPIView):
    serializer_class = DecisionOutputSerializer

    def get_queryset(self):
        return Decision.objects.select_related("borrower", "loan")

    @extend_schema(responses=DecisionOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        decision = get_platform_object(self.get_queryset(), request, pk=pk)
        return Response(DecisionOutputSerializer(decision).data)
