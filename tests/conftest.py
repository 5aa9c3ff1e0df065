"""Fixed users and platforms for permission tests, and API clients for each; per-run test database names;
the TEST_NOW clock for checking that no test depends on the hour it runs at."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from django.utils import translation
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


# One id per test run, made by the first pytest process (the xdist controller, or the only process) and
# inherited by the xdist workers through the environment: it names this run's databases.
RUN_ID_VARIABLE = "COLLECTIONS_TEST_RUN_ID"


def run_id() -> str:
    return os.environ[RUN_ID_VARIABLE]


def pytest_configure(config):
    os.environ.setdefault(RUN_ID_VARIABLE, uuid.uuid4().hex[:8])
    # TEST_NOW=2026-06-30T15:30:00Z runs the suite as if started at that instant (the clock ticks on from
    # it), to check that no test depends on the hour or date it runs at. Only this process and its xdist
    # workers are moved: subprocesses (Celery workers, servers) and the databases keep the real clock.
    when = os.environ.get("TEST_NOW")
    if when:
        import time_machine

        instant = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if instant.tzinfo is None:
            raise pytest.UsageError(f"TEST_NOW={when!r} needs a UTC offset, e.g. 2026-06-30T15:30:00Z")
        config._test_now_traveller = time_machine.travel(instant, tick=True)
        config._test_now_traveller.start()


def pytest_report_header(config):
    lines = [f"test run id: {os.environ.get(RUN_ID_VARIABLE)}"]
    if os.environ.get("TEST_NOW"):
        lines.append(f"TEST_NOW: the clock starts at {os.environ['TEST_NOW']}")
    return lines


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """On a shared PostgreSQL, this run's test databases are its own: test_<name>[_gwN]_<run id>, so two
    suites (two checkouts, two CI runs) never create, use or drop each other's. pytest-django drops them at
    the end of the run; with --reuse-db the names stay fixed so that they can be reused."""
    from django.conf import settings

    if request.config.getoption("reuse_db") or not settings.IS_POSTGRES:
        return
    for db_settings in settings.DATABASES.values():
        test = db_settings.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db_settings['NAME']}_{run_id()}"


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a page requested by a zh-hans user leaves the thread's
    language active after the response, and a selector called directly would then speak Chinese."""
    translation.deactivate()
    yield
    translation.deactivate()


# --- the real browser ------------------------------------------------------------------------------------
# One session-wide Chromium for every browser test, wherever it lives (tests/e2e, tests/hardening): a second
# sync_playwright() in the same worker fails ("Sync API inside the asyncio loop").

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):  # CI runs every browser test: a missing browser is a failure there
            pytest.fail("Chromium is not installed (scripts/ensure_chromium.sh installs it)")
        pytest.skip("Chromium is not installed (scripts/ensure_chromium.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium) -> Iterator:
    """A fresh browser context per test: no cookies or language choice carried over."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
