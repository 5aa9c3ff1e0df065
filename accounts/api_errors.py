"""One shape for API errors: DRF's `{field: [messages]}` for 400, `{detail}` for the rest.

Django's own refusal of a body above DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, which Django
would answer with an HTML 400) becomes a 413 `{detail}` here; it is raised when a view first reads
`request.data`, after authentication, and Django checks the announced length before reading.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api import RequestBodyTooLarge

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestBodyTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, IntegrityError):
        logger.warning("integrity error in API: %s", type(exc).__name__)
        return Response(
            {"non_field_errors": ["Conflicting write; retry the request."]}, status=status.HTTP_409_CONFLICT
        )
    return response
