"""The floor of the API figures: a bare Django JSON view under the same gunicorn as the product.

No middleware, no DRF, no authentication, no throttle, no database: what Django and gunicorn alone cost
per request (GET), and per parsed body (POST, the bulk ingest's floor). Served by bench.server with
DJANGO_SETTINGS_MODULE=bench.bare_settings.
"""

from __future__ import annotations

import json

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def ping(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"platform": None})
    data = json.loads(request.read())  # the stream: no DATA_UPLOAD_MAX_MEMORY_SIZE, as the bulk views
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), [])
    return JsonResponse({"platform": None, "items": len(data) if isinstance(data, list) else 0})


urlpatterns = [path("api/v1/ping/", ping)]

application = get_wsgi_application()
