"""The front door: sign in at /, land on the case list, sign out with a POST."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_the_sign_in_form_at_the_root(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "accounts/sign_in.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert reverse("login") == "/"


def test_signing_in_lands_a_collector_on_the_work_queue(client, collector):
    response = client.post("/", {"username": "collector", "password": "pass12345!"})

    assert response.status_code == 302
    assert response["Location"] == reverse("queue") == "/queue/"
    assert client.get("/queue/").status_code == 200
    assert reverse("case-list") == "/cases/" and client.get("/cases/").status_code == 200


def test_signing_in_lands_a_supervisor_on_the_case_list(client, supervisor):
    response = client.post("/", {"username": "supervisor", "password": "pass12345!"})

    assert response.status_code == 302
    assert response["Location"] == reverse("case-list") == "/cases/"


def test_a_wrong_password_shows_the_form_again_with_an_error(client, collector):
    response = client.post("/", {"username": "collector", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_signed_in_users_at_the_root_go_to_their_cases(client, collector):
    client.force_login(collector)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/queue/"


@pytest.mark.parametrize("url", ["/cases/", "/cases/1/"])
def test_pages_send_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/?next={url}"


def test_sign_out_is_a_post_and_ends_the_session(client, collector):
    client.force_login(collector)

    assert client.get("/logout/").status_code == 405  # a link or prefetch must not sign anyone out
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_the_top_bar_shows_the_user_and_role_and_a_sign_out_form(client, supervisor):
    client.force_login(supervisor)

    html = client.get("/cases/").content.decode()

    assert "supervisor" in html
    assert "Supervisor" in html
    assert 'action="/logout/"' in html and 'method="post"' in html
