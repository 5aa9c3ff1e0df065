"""`/api/v1/ping/`: who am I, for a platform checking its key and the service being up.

It is also the benchmark's baseline: the cost of DRF, authentication and throttling with no work behind.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import request_platform

PingSerializer = inline_serializer("Ping", {"platform": serializers.CharField(allow_null=True)})


class PingApi(APIView):
    @extend_schema(responses=PingSerializer, summary="Check the key and the service")
    def get(self, request):
        platform = request_platform(request)
        return Response({"platform": platform.name if platform else None})
