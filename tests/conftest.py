"""Fixed users and platforms for permission tests, and API clients for each."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from . import factories


@pytest.fixture
def platform(db):
    return factories.PlatformFactory(name="Alpha Lending", default_jurisdiction="CN")


@pytest.fixture
def other_platform(db):
    return factories.PlatformFactory(name="Beta Wallet", default_jurisdiction="US")


@pytest.fixture
def api(platform) -> APIClient:
    """An API client authenticated as `platform`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {platform.plain_api_key}")
    return client


@pytest.fixture
def other_api(other_platform) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_platform.plain_api_key}")
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()


@pytest.fixture
def team(db):
    return factories.TeamFactory(name="Team East")


@pytest.fixture
def agency(db):
    return factories.AgencyFactory(name="Acme Recoveries")


@pytest.fixture
def collector(team):
    return factories.UserFactory(username="collector", role=Role.COLLECTOR, team=team)


@pytest.fixture
def other_collector(team):
    return factories.UserFactory(username="collector2", role=Role.COLLECTOR, team=team)


@pytest.fixture
def agency_collector(agency):
    return factories.UserFactory(username="agent", role=Role.AGENCY_COLLECTOR, agency=agency)


@pytest.fixture
def supervisor(team):
    return factories.UserFactory(username="supervisor", role=Role.SUPERVISOR, team=team, is_staff=True)


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (locking, concurrency, SQL) run wherever DATABASE_URL is PostgreSQL, as in CI."""
    from django.conf import settings

    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
