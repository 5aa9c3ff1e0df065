"""Next case from the only callable case (issue 15, "nothing that ends in a dead end"): back to the queue,
saying nobody else may be called now, instead of reopening the same case."""

from __future__ import annotations

import pytest

from .conftest import day_place, make_case, night_place

pytestmark = pytest.mark.django_db


def test_next_case_from_the_only_callable_case_goes_back_to_the_queue(client, collector):
    only = make_case(place=day_place(), assigned_to=collector)
    make_case(place=night_place(), assigned_to=collector)
    client.force_login(collector)

    assert client.get("/queue/next/")["Location"] == f"/cases/{only.pk}/"
    nxt = client.get(f"/queue/next/?after={only.pk}&stage=", follow=True)

    assert nxt.redirect_chain[0][0] == "/queue/?stage="
    assert "No other case in this queue may be called now." in nxt.content.decode()
