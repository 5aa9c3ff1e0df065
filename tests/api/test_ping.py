import pytest


@pytest.mark.django_db
def test_ping_names_the_calling_platform(api, platform):
    response = api.get("/api/v1/ping/")
    assert response.status_code == 200 and response.json() == {"platform": platform.name}


@pytest.mark.django_db
def test_ping_without_a_key_is_401(anon_api):
    assert anon_api.get("/api/v1/ping/").status_code == 401
