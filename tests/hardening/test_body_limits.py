"""Bodies: nobody is read for an unauthenticated caller, and every API endpoint refuses one over its
limit with 413 in the API's `{detail}` shape (2.5 MB in general, 64 MB on the bulk endpoints)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from core.api import LargeBodyMixin

pytestmark = pytest.mark.django_db

BULK_URLS = ["/api/v1/ping/", "/api/v1/loans/bulk/", "/api/v1/borrowers/bulk/"]
PLAIN_URLS = ["/api/v1/payments/", "/api/v1/borrowers/", "/api/v1/loans/", "/api/v1/compliance/check/"]
TEN_MB = 10 * 2**20


def _json_of_size(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    padding = size - len(b'{"pad":""}')
    return b'{"pad":"' + b"x" * padding + b'"}'


def _post(client, url: str, body: bytes, **extra):
    return client.generic("POST", url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1", **extra)


def _body_untouched(response) -> bool:
    """The server never read the request's body: Django marks a request whose stream was read."""
    request = response.wsgi_request
    return not request._read_started and not hasattr(request, "_body")


@pytest.mark.parametrize("url", BULK_URLS + PLAIN_URLS)
def test_an_anonymous_post_is_401_and_its_body_is_never_read(anon_api, url):
    response = _post(anon_api, url, _json_of_size(3 * 2**20))
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert _body_untouched(response)


@pytest.mark.parametrize("url", BULK_URLS)
def test_a_wrong_key_on_a_bulk_endpoint_is_401_without_reading(anon_api, url):
    response = _post(anon_api, url, _json_of_size(2**20), HTTP_AUTHORIZATION="Token not-a-key")
    assert response.status_code == 401
    assert _body_untouched(response)


@pytest.mark.parametrize("url", PLAIN_URLS)
def test_ten_megabytes_on_a_plain_endpoint_is_413_in_the_api_shape(api, url):
    response = _post(api, url, _json_of_size(TEN_MB))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request body exceeds 2.5 MB."}
    # Django refuses on the announced length: not one byte was taken in.
    assert _body_untouched(response)


def test_the_plain_limit_is_django_s_own_setting(api):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 2_621_440  # 2.5 MB, Django's default
    just_under = _post(api, "/api/v1/borrowers/", _json_of_size(limit))
    assert just_under.status_code == 400  # read and validated: a body with no borrower fields
    assert "external_id" in just_under.json()


def test_a_bulk_endpoint_takes_a_body_above_the_plain_limit(api, platform):
    items = [{"n": i, "pad": "x" * 100} for i in range(30_000)]  # about 3.3 MB
    body = json.dumps({"loans": items}).encode()
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = _post(api, "/api/v1/ping/", body)
    assert response.status_code == 200
    assert response.json() == {"platform": platform.name, "items": 30_000}


@pytest.mark.parametrize("url", BULK_URLS)
def test_a_bulk_body_announced_above_64_mb_is_413_without_reading(api, url):
    response = _post(api, url, b"{}", CONTENT_LENGTH=str(LargeBodyMixin.max_body_bytes + 1))
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body exceeds 64 MB."}
    assert _body_untouched(response)


def test_a_bulk_body_really_above_64_mb_is_413(api):
    response = _post(api, "/api/v1/ping/", _json_of_size(LargeBodyMixin.max_body_bytes + 1))
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body exceeds 64 MB."}


def test_a_bulk_body_of_exactly_64_mb_is_read(api):
    response = _post(api, "/api/v1/ping/", _json_of_size(LargeBodyMixin.max_body_bytes))
    assert response.status_code == 200
    assert response.json()["items"] == 0
