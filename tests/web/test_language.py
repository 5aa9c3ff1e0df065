"""zh-hans and en, chosen per user and remembered on the user."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_switching_to_chinese_saves_the_choice_and_shows_chinese(client, collector):
    client.force_login(collector)
    assert collector.language == "en"
    assert "<h1>Cases</h1>" in client.get("/cases/").content.decode()

    response = client.post("/language/", {"language": "zh-hans", "next": "/cases/?stage=m1"})

    assert response.status_code == 302
    assert response["Location"] == "/cases/?stage=m1"
    collector.refresh_from_db()
    assert collector.language == "zh-hans"
    html = client.get("/cases/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<h1>案件</h1>" in html
    assert "退出登录" in html


def test_the_saved_language_follows_the_user_to_a_new_session(client, collector):
    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)

    assert "<h1>案件</h1>" in client.get("/cases/").content.decode()


def test_visitors_can_switch_the_sign_in_page_to_chinese(client):
    response = client.post("/language/", {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert "登录" in html
    assert "用户名" in html


def test_the_switch_never_redirects_off_site(client, collector):
    client.force_login(collector)

    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})

    assert response["Location"] == "/cases/"


def test_an_unknown_language_changes_nothing(client, collector):
    client.force_login(collector)

    client.post("/language/", {"language": "fr", "next": "/cases/"})

    collector.refresh_from_db()
    assert collector.language == "en"
