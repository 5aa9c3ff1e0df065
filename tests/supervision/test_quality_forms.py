"""The quality pages' forms in both languages (issue 15, item 8): the sampling dates are ISO in an
<input type=date> whatever the language (zh-hans rendered 2026/11/25, which the browser drops), so sampling
starts in Chinese; the scorecard's checks and tone are laid out as controls, tone without an empty choice."""

from __future__ import annotations

import re

import pytest
import time_machine

from supervision.models import QualitySample

from .conftest import D1

pytestmark = pytest.mark.django_db


@pytest.fixture
def chinese_supervisor(supervisor):
    supervisor.language = "zh-hans"
    supervisor.save()
    return supervisor


def test_the_sampling_dates_are_iso_in_chinese(client, chinese_supervisor):
    client.force_login(chinese_supervisor)
    with time_machine.travel(D1, tick=False):
        html = client.get("/supervision/quality/").content.decode()

    assert '<html lang="zh-hans">' in html
    assert re.search(r'<input type="date" name="date_from" value="2025-02-24"', html)
    assert re.search(r'<input type="date" name="date_to" value="2025-03-03"', html)


def test_sampling_starts_in_chinese_with_the_dates_the_browser_sends(client, book, chinese_supervisor):
    client.force_login(chinese_supervisor)
    with time_machine.travel(D1, tick=False):
        response = client.post(
            "/supervision/quality/",
            {"date_from": "2025-03-03", "date_to": "2025-03-03", "share_percent": "100", "seed": "7"},
        )

    assert response.status_code == 302
    assert QualitySample.objects.exists()


def test_the_scorecard_has_checkboxes_beside_their_labels_and_five_tones(client, book, chinese_supervisor):
    sample = QualitySample.objects.create(contact=book.c1, reason="collector_share")
    client.force_login(chinese_supervisor)

    html = client.get(f"/supervision/quality/{sample.pk}/").content.decode()

    for name in ("identity_verified", "disclosure_made", "no_prohibited_content", "correct_outcome"):
        assert re.search(rf'<div class="field field--check">\s*<input type="checkbox" name="{name}"', html)
    tones = re.findall(r'<input type="radio" name="tone" value="(\d*)"', html)
    assert tones == ["1", "2", "3", "4", "5"]
    assert "---------" not in html
    assert '<fieldset class="field radio-row" id="id_tone">' in html
