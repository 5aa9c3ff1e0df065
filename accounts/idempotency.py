"""Idempotency-Key handling for POST endpoints of the platform API.

Usage in a view::

    return idempotent_response(request, scope="payments", handler=lambda: (201, serializer_data))

The record is inserted *first*, inside the same transaction as the write. The unique constraint on
(platform, scope, key) makes a concurrent second request with the same key wait for the first one's
transaction (PostgreSQL blocks the conflicting insert until the other commits or rolls back), then find
the stored response and replay it. So two identical requests can never both write.

Every final response the handler *returns* is stored (a 201, but also the 422 of a blocked contact,
which wrote its compliance decision): replaying it must not write a second one. When the handler
raises (a 400, a 404, a 409, ...), the transaction rolls back together with the record and the key is
free to be used again with a corrected body. A handler that wrote nothing (a plan's dry run) may return
`store=False` as a third element: its response is answered but the record is dropped, so the key stays
unused and the next request with it simply runs again.
The body is stored as its JSON text so that a replay answers byte-for-byte what the first request got
(PostgreSQL's jsonb would reorder the keys).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core import rawsql

from .api import request_platform
from .models import IdempotencyRecord, Platform

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Printable ASCII, at most 255 characters (a header's surrounding spaces are not part of it).
KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$",
}
# Where the key is optional, an empty header is no key.
OPTIONAL_KEY_SCHEMA = {**KEY_SCHEMA, "minLength": 0, "pattern": r"^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$"}

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=KEY_SCHEMA,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "A unique key per logical request. Retrying with the same key and body answers the first response "
        "again and records nothing new; the same key with another body answers 409."
    ),
)


IDEMPOTENCY_KEY_OPTIONAL_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OPTIONAL_KEY_SCHEMA,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional. A unique key per logical request (at most 255 printable ASCII characters), kept at least 24 hours. "
        "Retrying with the same key and body answers the first response again (same status and body) and "
        "records nothing new; the same key with another body answers 409. Without it (or empty), every request runs."
    ),
)

HandlerResult = tuple[int, Any] | tuple[int, Any, bool]


def request_fingerprint(data: Any) -> str:
    """A stable hash of the parsed request body (key order and whitespace do not matter)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(request, *, required: bool = True) -> str | None:
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        if required:
            raise ValidationError({HEADER: [_("This header is required.")]})
        return None
    if len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise ValidationError({HEADER: [_("Use at most 255 printable ASCII characters.")]})
    return key


def _conflict() -> Response:
    return Response(
        {HEADER: [_("This key was already used with a different request body.")]}, status=status.HTTP_409_CONFLICT
    )


def _render(status_code: int, text: str) -> Response:
    return Response(json.loads(text), status=status_code)


def run_idempotent(
    *,
    platform: Platform,
    scope: str,
    key: str,
    payload: Any,
    handler: Callable[[], HandlerResult],
) -> Response:
    """Run `handler` at most once per (platform, scope, key) and answer its stored response after.

    `handler` returns (status, body) or (status, body, store); store=False drops the record (see above).
    """
    fingerprint = request_fingerprint(payload)
    with transaction.atomic():
        record = _claim(platform=platform, scope=scope, key=key, fingerprint=fingerprint)
        if record is None:
            record = IdempotencyRecord.objects.get(platform=platform, scope=scope, key=key)
            if record.request_hash != fingerprint:
                return _conflict()
            if record.response_status is None:  # cannot normally happen: the response is written with it
                return _conflict()
            assert record.response_body is not None  # written together with response_status
            return _render(record.response_status, record.response_body)
        status_code, body, store = _unpack(handler())
        text = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)
        if not store:
            # Nothing was written but the record: roll it back, the key stays free.
            transaction.set_rollback(True)
            return _render(status_code, text)
        record.response_status = status_code
        record.response_body = text
        record.save(update_fields=["response_status", "response_body"])
    return _render(status_code, text)


def _claim(*, platform: Platform, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the record, or None when the key is taken: one `INSERT ... ON CONFLICT DO NOTHING` (no
    savepoint around an IntegrityError, two statements fewer on every keyed write). A concurrent insert
    of the same key waits for the other transaction, as the plain INSERT did, then finds its row."""
    record = IdempotencyRecord(platform=platform, scope=scope, key=key, request_hash=fingerprint)
    sql, params = rawsql.prepare_insert(record)
    pk = rawsql.fetch_one(
        f"{sql} ON CONFLICT ({rawsql.columns(IdempotencyRecord, ['platform', 'scope', 'key'])}) DO NOTHING "
        f"RETURNING {rawsql.columns(IdempotencyRecord, ['id'])}",
        params,
    )
    if pk is None:
        return None
    rawsql.saved(record, pk[0])
    return record


def _unpack(result: HandlerResult) -> tuple[int, Any, bool]:
    if len(result) == 3:
        return result
    status_code, body = result
    return status_code, body, True


def idempotent_response(
    request,
    *,
    scope: str,
    handler: Callable[[], HandlerResult],
    required: bool = True,
    payload: Any = None,
) -> Response:
    """The view-level entry: reads the header, fingerprints the body, runs or replays.

    `payload` is what the key is bound to (default: the request body); pass the path's ids with the body
    when the same URL pattern serves many objects, so that a key reused on another case is a 409.
    Staff users on a session have no platform; their requests run without a stored record.
    """

    key = idempotency_key(request, required=required)
    platform = request_platform(request)
    if key is None or platform is None:
        status_code, body, _store = _unpack(handler())
        return Response(body, status=status_code)
    return run_idempotent(
        platform=platform,
        scope=scope,
        key=key,
        payload=request.data if payload is None else payload,
        handler=handler,
    )
