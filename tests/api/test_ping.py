import pytest


@pytest.mark.django_db
def test_ping_names_the_calling_platform(api, platform):
    response = api.get("/api/v1/ping/")
    assert response.status_code == 200 and response.json() == {"platform": platform.name}


@pytest.mark.django_db
def test_ping_without_a_key_is_401(anon_api):
    assert anon_api.get("/api/v1/ping/").status_code == 401


def test_ping_post_parses_the_body_and_counts_its_items(api, platform):
    assert api.post("/api/v1/ping/", {"loans": [{}, {}, {}]}, format="json").json() == {
        "platform": platform.name,
        "items": 3,
    }
    assert api.post("/api/v1/ping/", [1, 2], format="json").json()["items"] == 2
    bad = api.generic("POST", "/api/v1/ping/", "{not json", content_type="application/json")
    assert bad.status_code == 400


def test_ping_post_needs_a_key(anon_api):
    assert anon_api.post("/api/v1/ping/", [], format="json").status_code == 401
