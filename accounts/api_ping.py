"""`/api/v1/ping/`: who am I, for a platform checking its key and the service being up.

It is also the benchmark's baseline: the cost of DRF, authentication and throttling with no work behind
(GET), and of receiving and parsing a body as large as a bulk upload's (POST).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LargeBodyMixin

from .api import request_platform

PingSerializer = inline_serializer("Ping", {"platform": serializers.CharField(allow_null=True)})
PingBodySerializer = inline_serializer(
    "PingBody", {"platform": serializers.CharField(allow_null=True), "items": serializers.IntegerField()}
)


class PingApi(LargeBodyMixin, APIView):
    # Any platform key or staff session: it reads and changes nothing.
    read_permission = None
    write_permission = None

    @extend_schema(responses=PingSerializer, summary="Check the key and the service")
    def get(self, request):
        platform = request_platform(request)
        return Response({"platform": platform.name if platform else None})

    @extend_schema(
        request=None,
        responses=PingBodySerializer,
        summary="Check the key with a JSON body",
        description="Parses the body and counts its items (a list, or the first list in an object): "
        "what receiving a bulk upload costs before any work.",
    )
    def post(self, request):
        data = request.data
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), [])
        platform = request_platform(request)
        return Response(
            {"platform": platform.name if platform else None, "items": len(data) if isinstance(data, list) else 0}
        )
