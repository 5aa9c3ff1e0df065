"""Sign-in lockout (django-axes) on `/` and `/admin/login/`, and the password rules.

Time never passes by the clock here: a cool-off is made to be over by moving the recorded failures back.
"""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client

from accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "pass12345!"  # tests.factories.UserFactory's
ADDRESS = "203.0.113.7"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def user():
    return factories.UserFactory(username="zhang.wei", role=Role.COLLECTOR)


@pytest.fixture
def staff():
    return factories.UserFactory(username="root.admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


def _sign_in(client: Client, username: str, password: str, address: str = ADDRESS, url: str = "/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client: Client, username: str, times: int, address: str = ADDRESS, url: str = "/") -> list[int]:
    return [_sign_in(client, username, "wrong-password", address, url).status_code for _ in range(times)]


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _cool_off_passes() -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)


def test_the_limit_is_five_failures_for_fifteen_minutes():
    assert LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_after_five_failures_even_the_right_password_is_refused(client, user):
    assert _fail(client, user.username, LIMIT - 1) == [200] * (LIMIT - 1)
    locked = _fail(client, user.username, 1)
    refused = _sign_in(client, user.username, PASSWORD)

    assert locked == [429]
    assert refused.status_code == 429
    assert not _signed_in(client)
    page = refused.content.decode()
    assert "Too many failed sign-ins" in page and "15 minutes" in page


def test_the_lockout_is_for_that_username_from_that_address(client, user, collector):
    _fail(client, user.username, LIMIT)

    assert _sign_in(Client(), user.username, PASSWORD, address="198.51.100.20").status_code == 302
    assert _sign_in(Client(), collector.username, PASSWORD).status_code == 302
    assert _sign_in(Client(), user.username, PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works_again(client, user):
    _fail(client, user.username, LIMIT)
    _cool_off_passes()

    response = _sign_in(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_just_before_the_end_of_the_cool_off_it_is_still_refused(client, user):
    _fail(client, user.username, LIMIT)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME / 2)

    assert _sign_in(client, user.username, PASSWORD).status_code == 429


def test_a_success_clears_the_count(client, user):
    _fail(client, user.username, LIMIT - 1)
    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    client.logout()

    assert _fail(client, user.username, LIMIT - 1) == [200] * (LIMIT - 1)
    assert _sign_in(client, user.username, PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_out_too(client, staff):
    admin_login = "/admin/login/"
    assert _fail(client, staff.username, LIMIT, url=admin_login)[-1] == 429

    refused = _sign_in(client, staff.username, PASSWORD, url=admin_login)

    assert refused.status_code == 429
    assert not _signed_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to the admin's sign-in


def test_failures_on_one_sign_in_page_count_on_the_other(client, staff):
    _fail(client, staff.username, LIMIT - 1, url="/admin/login/")
    assert _fail(client, staff.username, 1, url="/") == [429]


def test_the_lockout_log_names_neither_the_username_nor_the_address(client, user, caplog):
    caplog.set_level(logging.DEBUG, logger="axes")

    _fail(client, user.username, LIMIT + 1)
    _sign_in(client, user.username, PASSWORD)

    messages = [r.getMessage() for r in caplog.records if r.name.startswith("axes")]
    assert any("Locking out client" in m for m in messages)
    assert not [m for m in messages if user.username in m or ADDRESS in m]


def test_sign_ins_without_a_request_are_not_counted_nor_refused(client, user):
    """The test client's login() and management commands call authenticate() without a request."""
    assert client.login(username=user.username, password=PASSWORD)
    assert not client.login(username=user.username, password="wrong-password")
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    "password,rule",
    [
        ("zhang.wei.2026", "too similar"),  # the username
        ("Xq7#vL", "too short"),
        ("password123", "too common"),
        ("84920571365", "entirely numeric"),
    ],
)
def test_passwords_pass_all_four_django_validators(user, password, rule):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=user)
    assert rule in " ".join(refused.value.messages)


def test_a_good_password_passes(user):
    validate_password("tide-Lantern-47-orbit", user=user)


def test_the_lockout_page_speaks_chinese_too(client, user):
    _fail(client, user.username, LIMIT)

    refused = client.post(
        "/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ADDRESS, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "登录失败次数过多" in page and "15 分钟内" in page
