from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import Platform, hash_api_key

pytestmark = pytest.mark.django_db


def _run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("create_platform", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_it_prints_the_key_alone_on_the_last_line_and_the_key_authenticates():
    lines = _run("Gamma Credit", "--jurisdiction", "UK", "--webhook-url", "https://gamma.example/hooks")
    key = lines[-1]
    assert key and " " not in key
    platform = Platform.objects.get(name="Gamma Credit")
    assert platform.default_jurisdiction == "UK"
    assert platform.webhook_url == "https://gamma.example/hooks"
    assert platform.api_key_hash == hash_api_key(key)
    assert key not in platform.api_key_hash
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/borrowers/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}x")
    assert client.get("/api/v1/borrowers/").status_code == 401


def test_the_default_jurisdiction_is_cn():
    _run("Delta")
    assert Platform.objects.get(name="Delta").default_jurisdiction == "CN"


def test_an_existing_name_is_an_error_and_changes_nothing():
    _run("Gamma Credit")
    before = Platform.objects.get().api_key_hash
    with pytest.raises(CommandError):
        _run("Gamma Credit")
    assert Platform.objects.get().api_key_hash == before


@pytest.mark.parametrize("args", [("X", "--jurisdiction", "FR"), ("X", "--webhook-url", "not a url"), ("  ",)])
def test_bad_arguments_are_errors(args):
    with pytest.raises((CommandError, SystemExit)):
        _run(*args)
    assert not Platform.objects.exists()
