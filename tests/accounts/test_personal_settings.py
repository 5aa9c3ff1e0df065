"""Personal settings (issue 15, item 7): a user's language and time zone, the zone defaulting to the team's
(else the site's), used by every page through the middleware."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

pytestmark = pytest.mark.django_db

# 03:00 UTC: 11:00 in Shanghai, 22:00 the day before in New York.
NOW = dt.datetime(2026, 1, 14, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_zone_is_the_users_else_the_teams_else_the_sites(settings, collector):
    settings.TIME_ZONE = "UTC"
    collector.timezone = ""
    collector.team.timezone = ""
    assert collector.zone_name == "UTC"
    collector.team.timezone = "Asia/Shanghai"
    assert collector.zone_name == "Asia/Shanghai"
    collector.timezone = "America/New_York"
    assert collector.zone_name == "America/New_York"


def test_every_page_shows_times_in_the_users_zone(client, collector):
    collector.team.timezone = "Asia/Shanghai"
    collector.team.save()
    collector.timezone = ""
    collector.save()
    client.force_login(collector)

    page = client.get("/settings/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Now in your time zone (Asia/Shanghai)" in html and "11:00" in html
    assert timezone.get_current_timezone_name() != "Asia/Shanghai"  # deactivated after the request


def test_saving_the_settings_changes_language_and_zone(client, collector):
    client.force_login(collector)

    response = client.post("/settings/", {"language": "zh-hans", "timezone": "America/New_York"})

    assert response.status_code == 302 and response["Location"] == "/settings/"
    collector.refresh_from_db()
    assert (collector.language, collector.timezone) == ("zh-hans", "America/New_York")
    html = client.get("/settings/").content.decode()
    assert "个人设置" in html  # the next page is in Chinese
    assert "22:00" in html  # and in New York time


def test_an_unknown_zone_is_refused_with_the_field(client, collector):
    client.force_login(collector)
    response = client.post("/settings/", {"language": "en", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    collector.refresh_from_db()
    assert collector.timezone != "Mars/Olympus"


def test_a_blank_zone_follows_the_team(client, collector):
    collector.timezone = "Europe/London"
    collector.save()
    client.force_login(collector)
    client.post("/settings/", {"language": "en", "timezone": ""})
    collector.refresh_from_db()
    assert collector.timezone == ""
