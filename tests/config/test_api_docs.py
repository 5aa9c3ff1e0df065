"""The interactive API docs work with no network: Swagger UI comes from our static files
(drf-spectacular-sidecar), under the same Content-Security-Policy as every page; /favicon.ico answers."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

ASSET = re.compile(r"""(?:src|href)="([^"]+)\"""")


def _assets(html: str) -> list[str]:
    return ASSET.findall(html)


@pytest.mark.django_db
def test_the_docs_page_loads_every_asset_from_our_static_files(client):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assets = _assets(html)
    assert assets, html
    scripts_and_styles = [a for a in assets if not a.startswith("/api/")]
    assert all(a.startswith("/static/") for a in scripts_and_styles), assets
    for asset in scripts_and_styles:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among the static files"
    assert "<script>" not in html and "<style" not in html and "//" not in html.replace("<!DOCTYPE", "")
    assert "default-src 'self'" in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_swagger_start_up_script_is_served_from_our_own_url(client):
    page = client.get("/api/docs/").content.decode()
    [script_url] = [a for a in _assets(page) if a.startswith("/api/docs/")]

    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_favicon_ico_answers_with_an_icon(client):
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 302 and redirect["Location"] == "/static/favicon.ico"

    icon = client.get(redirect["Location"])
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # the ICO header
