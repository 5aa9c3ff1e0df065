"""The Content-Security-Policy: sent with the pages, and the pages keep to it (no inline script or style,
nothing from another origin), checked in the templates and in a real Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


@pytest.mark.django_db
def test_the_sign_in_page_carries_a_strict_policy(client):
    policy = _policy(client.get("/"))

    for directive in ("default-src", "script-src", "style-src", "connect-src", "base-uri", "form-action"):
        assert policy[directive] == ["'self'"], directive
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert not [v for values in policy.values() for v in values if "unsafe" in v or v.startswith("http")]


@pytest.mark.django_db
def test_signed_in_pages_and_the_admin_carry_it_too(client, supervisor, admin_user):
    client.force_login(supervisor)
    assert _policy(client.get("/cases/"))["script-src"] == ["'self'"]
    assert _policy(client.get("/supervision/"))["script-src"] == ["'self'"]
    client.force_login(admin_user)
    assert _policy(client.get("/admin/"))["script-src"] == ["'self'"]


INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_has_inline_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_print_button_is_wired_by_a_static_script():
    # One base for every printable document (the agreement, a lawyer letter) carries the button and its script.
    page = (ROOT / "templates/printable_document.html").read_text(encoding="utf-8")
    assert "data-print" in page and "js/print-button.js" in page
    for document in ("repayment_plans/agreement_page.html", "workspace/lawyer_letter.html"):
        assert '{% extends "printable_document.html" %}' in (ROOT / "templates" / document).read_text(encoding="utf-8")
    assert "[data-print]" in (ROOT / "static/js/print-button.js").read_text(encoding="utf-8")


# --- in a real browser ------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
@pytest.mark.django_db(transaction=True)
def test_the_pages_raise_no_policy_violation_in_chromium(live_server, browser_page):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.core.management import call_command

    from cases.models import Case
    from demo.portfolio import DEMO_PASSWORD

    call_command("seed_demo", verbosity=0)
    page = browser_page
    problems: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    # What the browser itself reports, in case a violation is not also logged to the console.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    violations: list[str] = []

    def visit(path: str, ready: str = "main") -> None:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        page.locator(ready).first.wait_for()
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.__violations"))

    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(cases|queue)/$"))

    case = Case.objects.open().order_by("pk").first()
    visit("/cases/")
    visit(f"/cases/{case.pk}/")
    visit("/supervision/", ready="canvas")  # Chart.js draws the dashboard
    visit("/supervision/audit/")
    visit("/supervision/approvals/")

    page.get_by_role("button", name="Sign out").click()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    visit("/admin/")
    visit("/admin/accounts/platform/")

    assert violations == []
    assert problems == []
