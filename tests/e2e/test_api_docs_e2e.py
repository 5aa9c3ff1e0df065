"""/api/docs/ in a real Chromium with every other origin cut off: Swagger UI (drf-spectacular-sidecar's
copy in our static files) draws the operations from /api/schema/ under the site's Content-Security-Policy."""

from __future__ import annotations

import pytest


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_offline_without_a_policy_violation(live_server, browser_page):
    page = browser_page
    elsewhere: list[str] = []

    def only_our_server(route) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_our_server)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )

    page.goto(live_server.url + "/api/docs/")
    page.locator(".opblock").first.wait_for()  # the operations, drawn from /api/schema/
    page.wait_for_load_state("networkidle")

    assert "Collections case management API" in page.content()
    assert page.evaluate("window.__violations") == []
    assert elsewhere == []
    assert problems == []
