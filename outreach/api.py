"""Outreach over the API: the providers' callbacks (delivery receipts and replies, signed with each
provider's secret, not a platform key: outreach.callbacks) and a contact with the delivery status of
the message that carried it."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import authentication, exceptions, generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import api_object
from contacts.models import ContactAttempt
from contacts.serializers import ContactOutputSerializer
from core.api import JsonParser, PlatformApiMixin

from .callbacks import FORM_PROVIDERS, RECEIPT_ADAPTERS, REPLY_ADAPTERS, receipt_record, reply_record
from .models import OutboundMessage
from .signatures import SIGNATURE_HEADER, callback_authentic

# What the role matrix (tests/access) names these endpoints' requirement: a provider's signature, no role.
PROVIDER_SIGNED = "provider signature"


class ProviderPrincipal:
    """The caller of a callback: a provider that proved it holds its secret, never a person or a platform."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def __str__(self) -> str:
        return f"provider:{self.provider}"


class ProviderSignatureAuthentication(authentication.BaseAuthentication):
    """The provider's own signature scheme with its own secret or key (outreach.signatures)."""

    def authenticate(self, request: Request) -> tuple[ProviderPrincipal, str]:
        provider = str((request.parser_context or {}).get("kwargs", {}).get("provider", ""))
        # The raw request, as signed: its bytes (and, for a form-encoded provider, its fields), read before
        # DRF parses anything.
        if not callback_authentic(provider, request._request):
            raise exceptions.AuthenticationFailed("Missing or invalid signature for this provider.")
        return ProviderPrincipal(provider), provider

    def authenticate_header(self, request: Request) -> str:
        return SIGNATURE_HEADER


class ProviderSignatureScheme(OpenApiAuthenticationExtension):
    """Describes the providers' signature in /api/schema/ (registered on import, with the API urls)."""

    target_class = "outreach.api.ProviderSignatureAuthentication"
    name = "providerSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": SIGNATURE_HEADER,
            "description": "generic and aliyun: `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the "
            "provider's callback secret (`<PROVIDER>_CALLBACK_SECRET`); push: the same keyed with the platform's "
            "own webhook secret (several signatures, space-separated, while it changes). twilio: Twilio's "
            "`X-Twilio-Signature` (base64 HMAC-SHA1 of the full URL and the sorted form fields, keyed with "
            "`TWILIO_AUTH_TOKEN`). sendgrid: SendGrid's signed event webhook (`X-Twilio-Email-Event-Webhook-"
            "Signature`, ECDSA P-256 over the `X-Twilio-Email-Event-Webhook-Timestamp` and the body, checked "
            "with `SENDGRID_WEBHOOK_PUBLIC_KEY`; at most 5 minutes old). See docs/api.md.",
        }


PROVIDER_PARAMETER = OpenApiParameter(
    "provider", str, OpenApiParameter.PATH, enum=sorted(RECEIPT_ADAPTERS), description="the provider's shape"
)
SIGNATURE_REFUSED = OpenApiResponse(
    inline_serializer("ProviderSignatureRefused", {"detail": serializers.CharField()}),
    description="The X-Signature header is missing or is not this provider's signature of the body.",
)
RESULTS = inline_serializer(
    "ProviderCallbackResults",
    {
        "results": serializers.ListField(
            child=inline_serializer(
                "ProviderCallbackResult", {"id": serializers.CharField(), "result": serializers.CharField()}
            )
        )
    },
)


class _ProviderCallbackApi(APIView):
    authentication_classes = [ProviderSignatureAuthentication]
    parser_classes = [JsonParser, FormParser]  # form-encoded for the providers that post forms (Twilio)
    permission_classes: list[Any] = []  # the signature is the whole of it
    throttle_classes: list[Any] = []  # a provider's bursts of receipts are not a platform's calls
    read_permission = PROVIDER_SIGNED
    write_permission = PROVIDER_SIGNED


# JSON for most providers; Twilio posts forms (415 when a provider's body comes in the other encoding).
CALLBACK_BODY = {"application/json": OpenApiTypes.ANY, "application/x-www-form-urlencoded": OpenApiTypes.OBJECT}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _payload(request: Request, provider: str) -> Any:
    """The body in the provider's own encoding: a form for the form-posting providers, JSON for the others."""
    form = request.content_type.startswith("application/x-www-form-urlencoded")
    if form != (provider in FORM_PROVIDERS):
        raise exceptions.UnsupportedMediaType(request.content_type)
    return request.data


class ProviderReceiptsApi(_ProviderCallbackApi):
    @extend_schema(
        operation_id="provider_receipts",
        request=CALLBACK_BODY,
        responses={200: RESULTS, 401: SIGNATURE_REFUSED},
        parameters=[PROVIDER_PARAMETER],
        description="Delivery receipts, bounces and complaints, in the provider's shape (docs/api.md). Idempotent on "
        "the provider's event id: a redelivered receipt answers `duplicate`.",
    )
    def post(self, request: Request, provider: str) -> Response:
        adapter = RECEIPT_ADAPTERS.get(provider)
        if adapter is None:
            raise NotFound("No receipts adapter for this provider.")
        receipts = adapter(_payload(request, provider))  # all read before any is recorded: a 400 records nothing
        results = [{"id": r.event_id, "result": receipt_record(provider=provider, receipt=r)} for r in receipts]
        return Response({"results": results})


class ProviderRepliesApi(_ProviderCallbackApi):
    @extend_schema(
        operation_id="provider_replies",
        request=CALLBACK_BODY,
        responses={200: RESULTS, 401: SIGNATURE_REFUSED},
        parameters=[PROVIDER_PARAMETER],
        description="Inbound SMS, in the provider's shape (docs/api.md): a stop word opts the number out of SMS at "
        "once, any other reply is an inbound contact and a task. Idempotent on the provider's message id. Twilio is "
        "answered with empty TwiML (text/xml) instead of the results.",
    )
    def post(self, request: Request, provider: str) -> HttpResponse:
        adapter = REPLY_ADAPTERS.get(provider)
        if adapter is None:
            raise NotFound("No replies adapter for this provider.")
        replies = adapter(_payload(request, provider))
        results = [{"id": r.event_id, "result": reply_record(provider=provider, reply=r).result} for r in replies]
        if provider == "twilio":  # Twilio reads the answer to an inbound message as TwiML: nothing to send back
            return HttpResponse(EMPTY_TWIML, content_type="text/xml")
        return Response({"results": results})


# --- a contact with its delivery status -------------------------------------------------------------


class DeliverySerializer(serializers.ModelSerializer):
    """What became of the message that carried an outbound contact, as far as its provider has told us."""

    class Meta:
        model = OutboundMessage
        ref_name = "ContactDelivery"
        fields = ["status", "channel", "provider", "provider_id", "sent_at", "receipt_at", "error"]


class ContactDetailSerializer(ContactOutputSerializer):
    delivery = serializers.SerializerMethodField(
        help_text="The message of an SMS, e-mail, robot call or letter: `queued`, `sent` (the provider took it), "
        "`delivered` or `failed` (its receipt), `abandoned`; null for a contact no message carried."
    )

    class Meta(ContactOutputSerializer.Meta):
        ref_name = "ContactDetail"
        fields = [*ContactOutputSerializer.Meta.fields, "delivery"]

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, contact: ContactAttempt) -> dict[str, Any] | None:
        message = OutboundMessage.objects.filter(contact=contact).order_by("-created_at", "-id").first()
        return DeliverySerializer(message).data if message is not None else None


class ContactDetailApi(PlatformApiMixin, generics.GenericAPIView):
    """One contact of the log, with the delivery status of the message that carried it. The contact log's
    other endpoints are the gate's (compliance.api); this one reads what outreach knows of the message."""

    serializer_class = ContactDetailSerializer

    def get_queryset(self):
        return ContactAttempt.objects.select_related("borrower", "loan")

    @extend_schema(responses=ContactDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        contact = api_object(self.get_queryset(), request, pk=pk)
        return Response(ContactDetailSerializer(contact).data)
