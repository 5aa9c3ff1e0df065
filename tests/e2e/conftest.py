"""Browser tests: a real Chromium driven by Playwright's sync API (the `chromium` and `browser_page`
fixtures are in tests/conftest.py, shared with tests/hardening/test_csp.py)."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is deliberate (the tests only use it for setup).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
