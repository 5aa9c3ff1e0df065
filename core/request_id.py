"""A request id on every request, its response and every log line written while it is served.

`RequestIdMiddleware` takes the caller's `X-Request-ID` when it looks like an id (a proxy or the platform
set it, so one id follows the request through both systems), or makes one, and answers with it.
`RequestIdFilter` puts it on each log record as `request_id` ("-" outside a request), for the JSON and
the plain formatters of config.settings.LOGGING alike.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# Letters, digits and a few separators, at most 64: anything else (a header used to smuggle text into
# the logs, an e-mail address, a very long value) is replaced by an id of ours.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,64}")
NO_REQUEST = "-"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    return _current.get()


def _incoming_or_new(request: HttpRequest) -> str:
    incoming = request.headers.get(HEADER, "")
    return incoming if _ACCEPTED.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_or_new(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            return response
        finally:
            _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


# Client errors that a working system answers all day (a page the user may not see, a link to a case
# that was closed, a wrong method): django.request logs every 4xx as a WARNING, which buries the ones
# that matter. These are lowered to DEBUG; the access log and /metrics still count them.
EXPECTED_CLIENT_ERRORS = frozenset({401, 403, 404, 405})


class ExpectedClientErrorFilter(logging.Filter):
    """On django.request: an expected 4xx becomes a DEBUG record (shown only with LOG_LEVEL=DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in EXPECTED_CLIENT_ERRORS:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).getEffectiveLevel() <= logging.DEBUG
        return True
