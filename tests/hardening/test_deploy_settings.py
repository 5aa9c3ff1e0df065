"""Production settings over HTTPS: with DEBUG off they default to redirecting to https, Secure cookies and
HSTS, so that `manage.py check --deploy` has nothing to say about them; the environment can turn them off."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

ROOT = settings.BASE_DIR
# Only what the process needs: no DATABASE_URL, REDIS_URL or settings of the developer's shell.
BASE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "config.settings"}
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.com"}
SECURITY = [
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter on our own manage.py
        [sys.executable, *args], cwd=ROOT, env={**BASE_ENV, **env}, capture_output=True, text=True, timeout=120
    )


def _security_settings(**env: str) -> dict:
    probe = "import json, django; django.setup(); from django.conf import settings as s; "
    probe += f"print(json.dumps({{n: getattr(s, n) for n in {SECURITY!r}}}))"
    result = _run(["-c", probe], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_has_no_warning_about_production_settings():
    result = _run(["manage.py", "check", "--deploy"], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\((\w+\.[A-Z]\d+)\)", result.stdout + result.stderr))
    # drf-spectacular's deploy check reports schema naming problems of API views (its W001), which are
    # not settings; every other check, Django's security ones included, must be silent.
    assert found - {"drf_spectacular.W001"} == set(), result.stdout + result.stderr
    assert not {"security.W004", "security.W008", "security.W012", "security.W016"} & found


def test_with_debug_off_https_is_the_default():
    assert _security_settings(**PRODUCTION) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_https_false_turns_all_of_it_off_and_each_setting_may_be_set_alone():
    off = dict.fromkeys(SECURITY, False) | {"SECURE_HSTS_SECONDS": 0}
    assert _security_settings(**PRODUCTION, HTTPS="false") == off
    assert _security_settings(**PRODUCTION, SECURE_HSTS_PRELOAD="false")["SECURE_HSTS_PRELOAD"] is False
    assert _security_settings(**PRODUCTION, SECURE_SSL_REDIRECT="no")["SECURE_SSL_REDIRECT"] is False


def test_a_debug_run_stays_on_plain_http():
    assert _security_settings(DEBUG="true") == dict.fromkeys(SECURITY, False) | {"SECURE_HSTS_SECONDS": 0}


def test_a_typo_in_a_security_flag_stops_start_up():
    result = _run(["-c", "import django; django.setup()"], **PRODUCTION, SESSION_COOKIE_SECURE="ture")
    assert result.returncode != 0 and "SESSION_COOKIE_SECURE" in result.stderr


def test_the_test_settings_keep_http_but_not_the_rest():
    assert settings.DEBUG is False
    assert settings.SECURE_SSL_REDIRECT is False  # test clients speak http
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SECURE_HSTS_SECONDS


@pytest.mark.django_db
def test_http_is_redirected_to_https_except_the_health_check(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        page = client.get("/cases/")
        health = client.get("/healthz")
        secure = client.get("/", secure=True)

    assert page.status_code == 301 and page["Location"] == "https://testserver/cases/"
    assert health.status_code == 200
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
