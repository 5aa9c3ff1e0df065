"""The real Chromium of the browser tests, for the Content-Security-Policy check (tests/hardening/test_csp.py)."""

from tests.e2e.conftest import browser_page, chromium  # noqa: F401 - fixtures, used by name
